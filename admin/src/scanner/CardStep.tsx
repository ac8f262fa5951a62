import { catalog } from '../app/catalog';
import { useEffect, useRef, useState } from 'react';
import { Alert, Button, Card, Flex, Input, InputNumber, Spin, Typography } from 'antd';
import {
  CheckCircleOutlined,
  GiftOutlined,
  LeftOutlined,
  MinusOutlined,
  PercentageOutlined,
  PlusOutlined,
  RiseOutlined,
  StarOutlined,
  TagOutlined,
} from '@ant-design/icons';
import { http, isApiError } from '../app/api';
import { useI18n } from '../app/i18n';
import { useMe } from '../app/session';
import { problemMessage } from '../app/problems';
import { currencyDigits, currencySymbol, parseMoney } from '../app/money';
import type { CardLookup, Checkout, Quote } from '../app/types';
import { newRequestId } from './lookup';

import { GuestCard, QuoteLines } from './GuestCard';

type Op = 'accrue' | 'redeem' | 'stamp' | 'gift' | 'purchase';

interface OpBody {
  card: { id: string };
  locationId: string;
  amountMinor: number;
  redeemPoints?: number | 'max';
  giftAmountMinor?: number | 'max';
  couponCode?: string;
  addStamps?: number;
  note?: string;
}

/** Step 2: the guest found — amount, operation (accrue, redeem, stamp, gift, purchase), confirmation. */
export function CardStep({ found, locationId, onBack, onDone }: { found: CardLookup; locationId: string; onBack: () => void; onDone: (c: Checkout) => void }) {
  const { t, lang } = useI18n();
  const { business } = useMe();
  const digits = currencyDigits(business.currency);
  const { card } = found;
  const [amountText, setAmountText] = useState('');
  const [op, setOp] = useState<Op>();
  const [points, setPoints] = useState<number | null>(null);
  const [stamps, setStamps] = useState(1);
  const [couponOn, setCouponOn] = useState(false);
  const [coupon, setCoupon] = useState('');
  const [note, setNote] = useState('');
  const [quote, setQuote] = useState<Quote>();
  const [quoting, setQuoting] = useState(false);
  const [problem, setProblem] = useState<string>();
  const [sending, setSending] = useState(false);
  // One request id per confirmation: kept while the same operation is retried, new for another one.
  const pending = useRef<{ body: string; key: string }>();
  const inFlight = useRef(false);

  const amountMinor = parseMoney(amountText, digits);
  const amountOk = amountMinor !== null && amountMinor > 0;

  const bodyFor = (o: Op, pts: number | null): OpBody => ({
    card: { id: card.id },
    locationId,
    amountMinor: amountMinor ?? 0,
    ...(o === 'redeem' ? { redeemPoints: pts ?? 'max' } : {}),
    ...(o === 'gift' ? { giftAmountMinor: 'max' as const } : {}),
    ...(o === 'stamp' ? { addStamps: stamps } : {}),
    ...(couponOn && coupon.trim() ? { couponCode: coupon.trim() } : {}),
  });

  const runQuote = async (o: Op, pts: number | null) => {
    setQuoting(true);
    setProblem(undefined);
    try {
      const q = await http.post<Quote>('/v1/scanner/quote', bodyFor(o, pts));
      setQuote(q);
      if (o === 'redeem' && pts === null) setPoints(q.pointsRedeemed);
    } catch (e) {
      setQuote(undefined);
      setProblem(problemMessage(e, t));
    } finally {
      setQuoting(false);
    }
  };

  const choose = (o: Op) => {
    if (!amountOk) {
      setProblem(t('scanner.amount.invalid'));
      return;
    }
    setOp(o);
    setPoints(null);
    void runQuote(o, null);
  };

  const confirm = async () => {
    if (!op || inFlight.current) return; // a second tap while the first is on its way counts once
    const body: OpBody = { ...bodyFor(op, points), ...(note.trim() ? { note: note.trim() } : {}) };
    const text = JSON.stringify(body);
    if (pending.current?.body !== text) pending.current = { body: text, key: newRequestId() };
    inFlight.current = true;
    setSending(true);
    setProblem(undefined);
    try {
      const result = await http.post<Checkout>('/v1/scanner/operations', body, { headers: { 'Idempotency-Key': pending.current.key } });
      pending.current = undefined;
      onDone(result);
    } catch (e) {
      // Unanswered (network, 5xx): the same id is sent again on retry. A refusal ends this request.
      if (!isApiError(e) || (e.status !== 0 && e.status < 500)) pending.current = undefined;
      setProblem(problemMessage(e, t));
    } finally {
      inFlight.current = false;
      setSending(false);
    }
  };

  const actions: { op: Op; label: string; icon: JSX.Element; testId: string }[] =
    card.kind === 'bonus'
      ? [
          { op: 'accrue', label: t('scanner.op.accrue'), icon: <RiseOutlined />, testId: 'op-accrue' },
          { op: 'redeem', label: t('scanner.op.redeem'), icon: <GiftOutlined />, testId: 'op-redeem' },
        ]
      : card.kind === 'stamp'
        ? [{ op: 'stamp', label: t('scanner.op.stamp'), icon: <StarOutlined />, testId: 'op-stamp' }]
        : card.kind === 'gift'
          ? [{ op: 'gift', label: t('scanner.op.gift'), icon: <GiftOutlined />, testId: 'op-gift' }]
          : [
              {
                op: 'purchase',
                label: t(card.kind === 'discount' ? 'scanner.op.discount' : 'scanner.op.purchase'),
                icon: <PercentageOutlined />,
                testId: 'op-purchase',
              },
            ];

  const back = () => {
    setOp(undefined);
    setQuote(undefined);
    setProblem(undefined);
    pending.current = undefined;
  };
  // Keyboard-first (a USB scanner and a numpad): Enter in the amount runs the main action, Enter
  // again confirms the quote, Escape steps back (to the amount, then to the scan field).
  const keys = useRef({ enter: () => undefined as void, escape: () => undefined as void });
  keys.current = {
    enter: () => {
      if (op && quote && !quoting && !sending) void confirm();
    },
    escape: () => {
      if (sending) return;
      if (op) back();
      else onBack();
    },
  };
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') return keys.current.escape();
      if (e.key !== 'Enter' || e.repeat) return;
      const el = e.target as HTMLElement | null;
      // A note, the points to use and a focused button handle their own Enter.
      if (el && (el.tagName === 'TEXTAREA' || el.tagName === 'BUTTON' || el.closest('[data-testid="scanner-redeem-points"]'))) return;
      keys.current.enter();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  return (
    <Flex vertical gap={12}>
      <Button type="link" icon={<LeftOutlined />} onClick={onBack} style={{ alignSelf: 'flex-start', padding: 0 }}>
        {t('scanner.another')}
      </Button>
      <GuestCard found={found} />
      {!op ? (
        <Card>
          <Typography.Text strong>{t('scanner.amount')}</Typography.Text>
          <Input
            className="scanner-amount"
            size="large"
            inputMode="decimal"
            value={amountText}
            onChange={(e) => {
              setAmountText(e.target.value);
              setProblem(undefined);
            }}
            suffix={currencySymbol(business.currency, lang)}
            placeholder="0"
            status={amountText && !amountOk ? 'error' : undefined}
            style={{ marginTop: 6 }}
            aria-label={t('scanner.amount')}
            autoFocus
            onPressEnter={() => {
              if (card.status === 'active' && actions[0]) choose(actions[0].op);
            }}
            data-testid="scanner-amount"
          />
          {couponOn ? (
            <Input
              size="large"
              prefix={<TagOutlined className="muted" />}
              value={coupon}
              onChange={(e) => setCoupon(e.target.value.toUpperCase())}
              placeholder={t('scanner.coupon.placeholder')}
              style={{ marginTop: 12 }}
              aria-label={t('scanner.coupon.placeholder')}
              data-testid="scanner-coupon"
            />
          ) : (
            <Button type="link" icon={<TagOutlined />} onClick={() => setCouponOn(true)} style={{ padding: 0, marginTop: 8 }} data-testid="op-coupon">
              {t('scanner.op.coupon')}
            </Button>
          )}
          {card.kind === 'stamp' ? (
            <Flex align="center" gap={12} style={{ marginTop: 12 }}>
              <Typography.Text>{t('scanner.stamps.count')}</Typography.Text>
              <Button icon={<MinusOutlined />} onClick={() => setStamps((n) => Math.max(1, n - 1))} aria-label="−" />
              <Typography.Text strong style={{ fontSize: 18, minWidth: 24, textAlign: 'center' }}>
                {stamps}
              </Typography.Text>
              <Button icon={<PlusOutlined />} onClick={() => setStamps((n) => Math.min(100, n + 1))} aria-label="+" />
            </Flex>
          ) : null}
          {problem ? <Alert type="error" showIcon message={problem} style={{ marginTop: 12 }} role="alert" data-testid="scanner-problem" /> : null}
          <Flex vertical gap={10} className="scanner-actions" style={{ marginTop: 16 }}>
            {actions.map((a, i) => (
              <Button
                key={a.op}
                type={i === 0 ? 'primary' : 'default'}
                size="large"
                block
                icon={a.icon}
                disabled={card.status !== 'active'}
                onClick={() => choose(a.op)}
                data-testid={a.testId}
              >
                {a.label}
              </Button>
            ))}
          </Flex>
        </Card>
      ) : (
        <Card title={t('scanner.confirm.title', { op: actions.find((a) => a.op === op)?.label ?? '' })} data-testid="scanner-confirm">
          <Spin spinning={quoting}>
            {op === 'redeem' && quote ? (
              <Flex vertical gap={6} style={{ marginBottom: 12 }}>
                <Typography.Text>{catalog(lang, 'common.redeemUpTo', { n: quote.maxRedeemablePoints })}</Typography.Text>
                <InputNumber
                  size="large"
                  min={0}
                  max={quote.maxRedeemablePoints}
                  precision={0}
                  value={points}
                  onChange={(v) => setPoints(v === null ? 0 : Number(v))}
                  onBlur={() => void runQuote(op, points ?? 0)}
                  onPressEnter={() => void runQuote(op, points ?? 0)}
                  style={{ width: '100%' }}
                  addonAfter={t('common.points')}
                  aria-label={t('scanner.redeem.points')}
                  data-testid="scanner-redeem-points"
                />
              </Flex>
            ) : null}
            {quote ? <QuoteLines quote={quote} /> : null}
            <Input.TextArea
              value={note}
              onChange={(e) => setNote(e.target.value)}
              maxLength={200}
              autoSize={{ minRows: 1, maxRows: 3 }}
              placeholder={t('scanner.note')}
              style={{ marginTop: 12 }}
            />
          </Spin>
          {problem ? <Alert type="error" showIcon message={problem} style={{ marginTop: 12 }} role="alert" data-testid="scanner-problem" /> : null}
          <Flex vertical gap={10} className="scanner-actions" style={{ marginTop: 16 }}>
            <Button
              type="primary"
              size="large"
              block
              icon={<CheckCircleOutlined />}
              loading={sending}
              disabled={!quote || quoting}
              onClick={() => void confirm()}
              data-testid="scanner-confirm-button"
            >
              {t('scanner.confirm')}
            </Button>
            <Button size="large" block onClick={back} disabled={sending}>
              {t('common.back')}
            </Button>
          </Flex>
        </Card>
      )}
    </Flex>
  );
}
