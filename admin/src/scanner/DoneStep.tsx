import { catalog } from '../app/catalog';
import { Button, Card, Flex, Result, Typography } from 'antd';
import { useI18n } from '../app/i18n';
import type { Checkout } from '../app/types';
import { useMoneyFmt } from './shared';

/** Step 3: what was done, and «Следующий гость». */
export function DoneStep({ result, onNext }: { result: Checkout; onNext: () => void }) {
  const { t, lang } = useI18n();
  const money = useMoneyFmt();
  const lines = [
    result.pointsAccrued ? catalog(lang, 'common.pointsAccrued', { n: result.pointsAccrued }) : null,
    result.pointsRedeemed ? catalog(lang, 'common.pointsRedeemed', { n: result.pointsRedeemed }) : null,
    result.stampsAdded ? t('scanner.done.stamps', { n: result.stampsAdded }) : null,
    result.stampRewards ? t('scanner.done.reward') : null,
    result.giftSpentMinor ? t('scanner.done.gift', { amount: money(result.giftSpentMinor) }) : null,
  ].filter(Boolean);
  return (
    <Card data-testid="scanner-done">
      <Result
        status="success"
        title={t('scanner.done.title')}
        subTitle={
          <Flex vertical gap={4}>
            <Typography.Text style={{ fontSize: 18 }}>
              {t('scanner.q.pay')}: <strong data-testid="scanner-done-pay">{money(result.payableMinor)}</strong>
            </Typography.Text>
            {lines.map((l) => (
              <span key={l}>{l}</span>
            ))}
            {result.balanceAfter ? <span className="muted">{catalog(lang, 'common.balancePoints', { n: result.balanceAfter.points })}</span> : null}
          </Flex>
        }
        extra={
          <Button type="primary" size="large" onClick={onNext} autoFocus data-testid="scanner-next">
            {t('scanner.next')}
          </Button>
        }
      />
    </Card>
  );
}
