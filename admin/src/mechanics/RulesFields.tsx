import { Col, DatePicker, Divider, Form, Input, InputNumber, Radio, Row, Select, Switch, Typography } from 'antd';
import type { Rule } from 'antd/es/form';
import { useI18n } from '../app/i18n';
import { useMe } from '../app/session';
import { currencyDigits, currencySymbol, parseMoney } from '../app/money';
import type { Program, ProgramKind } from '../app/types';
import { DecimalInput } from '../app/DecimalInput';

/** A money input: the text is kept as typed and converted to minor units exactly on save. */
export function useMoneyField() {
  const { t, lang } = useI18n();
  const { business } = useMe();
  const digits = currencyDigits(business.currency);
  const rule = (required: boolean, positive = false): Rule => ({
    validator: (_, v: string | undefined) => {
      if (v === undefined || v === null || String(v).trim() === '') return required ? Promise.reject(new Error(t('validation.required'))) : Promise.resolve();
      const n = parseMoney(String(v), digits);
      if (n === null) return Promise.reject(new Error(t('validation.money')));
      if (positive && n <= 0) return Promise.reject(new Error(t('validation.positive')));
      return Promise.resolve();
    },
  });
  const suffix = currencySymbol(business.currency, lang);
  return { digits, rule, suffix };
}

const pct = (max = 100) => <DecimalInput min={0} max={max} step={0.5} precision={2} addonAfter="%" style={{ width: '100%' }} />;
const whole = (min = 0, max?: number, addon?: string) => <InputNumber min={min} max={max} precision={0} style={{ width: '100%' }} addonAfter={addon} />;

function Exclusions({ bonus }: { bonus?: boolean }) {
  const { t } = useI18n();
  return (
    <>
      <Divider orientation="left" plain>
        {t('rules.excluded')}
      </Divider>
      <Row gutter={16}>
        <Col xs={24} md={12}>
          <Form.Item name={['rules', 'excluded', 'skus']} label={t('rules.excluded.skus')} extra={t('rules.tags.help')}>
            <Select mode="tags" tokenSeparators={[',', ' ', ';']} open={false} suffixIcon={null} />
          </Form.Item>
        </Col>
        <Col xs={24} md={12}>
          <Form.Item name={['rules', 'excluded', 'categories']} label={t('rules.excluded.categories')} extra={t('rules.tags.help')}>
            <Select mode="tags" tokenSeparators={[',', ';']} open={false} suffixIcon={null} />
          </Form.Item>
        </Col>
        {bonus ? (
          <>
            <Col xs={24} md={12}>
              <Form.Item name={['rules', 'excluded', 'noEarn']} valuePropName="checked" label={t('rules.excluded.noEarn')}>
                <Switch />
              </Form.Item>
            </Col>
            <Col xs={24} md={12}>
              <Form.Item name={['rules', 'excluded', 'noRedeem']} valuePropName="checked" label={t('rules.excluded.noRedeem')}>
                <Switch />
              </Form.Item>
            </Col>
          </>
        ) : null}
      </Row>
    </>
  );
}

/** The rules of one kind of program, as form fields named like the hub's body. */
export function RulesFields({ kind, couponPrograms }: { kind: ProgramKind; couponPrograms: Program[] }) {
  const { t } = useI18n();
  const m = useMoneyField();
  const form = Form.useFormInstance();
  const discountType = Form.useWatch(['rules', 'discount', 'type'], form);
  const usage = Form.useWatch(['rules', 'usage'], form);
  const earnMode = Form.useWatch(['rules', 'earn', 'mode'], form);
  const rewardType = Form.useWatch(['rules', 'reward', 'type'], form);
  const minCheck = (
    <Form.Item name={['rules', 'minCheckMinor']} label={t('rules.minCheck')} rules={[m.rule(false)]} extra={t('rules.minCheck.help')}>
      <Input inputMode="decimal" suffix={m.suffix} />
    </Form.Item>
  );

  switch (kind) {
    case 'bonus':
      return (
        <>
          <Row gutter={16}>
            <Col xs={24} md={8}>
              <Form.Item
                name={['rules', 'accrualPercent']}
                label={t('rules.accrualPercent')}
                rules={[{ required: true, message: t('validation.required') }]}
                extra={t('rules.accrualPercent.help')}
              >
                {pct()}
              </Form.Item>
            </Col>
            <Col xs={24} md={8}>
              <Form.Item name={['rules', 'pointValueMinor']} label={t('rules.pointValue')} rules={[m.rule(true, true)]} extra={t('rules.pointValue.help')}>
                <Input inputMode="decimal" suffix={m.suffix} />
              </Form.Item>
            </Col>
            <Col xs={24} md={8}>
              <Form.Item name={['rules', 'maxRedeemPercent']} label={t('rules.maxRedeemPercent')} extra={t('rules.maxRedeemPercent.help')}>
                {pct()}
              </Form.Item>
            </Col>
            <Col xs={24} md={8}>
              {minCheck}
            </Col>
            <Col xs={24} md={8}>
              <Form.Item name={['rules', 'pendingDays']} label={t('rules.pendingDays')} extra={t('rules.pendingDays.help')}>
                {whole(0, 365, t('common.days'))}
              </Form.Item>
            </Col>
            <Col xs={24} md={8}>
              <Form.Item name={['rules', 'expiryDays']} label={t('rules.expiryDays')} extra={t('rules.expiryDays.help')}>
                <InputNumber min={1} max={3650} precision={0} style={{ width: '100%' }} addonAfter={t('common.days')} placeholder={t('rules.never')} />
              </Form.Item>
            </Col>
            <Col xs={24} md={8}>
              <Form.Item name={['rules', 'rounding']} label={t('rules.rounding')}>
                <Select
                  options={[
                    { value: 'floor', label: t('rules.rounding.floor') },
                    { value: 'round', label: t('rules.rounding.round') },
                    { value: 'ceil', label: t('rules.rounding.ceil') },
                  ]}
                />
              </Form.Item>
            </Col>
            <Col xs={24} md={16}>
              <Form.Item name={['rules', 'pointsPartEarns']} valuePropName="checked" label={t('rules.pointsPartEarns')} extra={t('rules.pointsPartEarns.help')}>
                <Switch />
              </Form.Item>
            </Col>
          </Row>
          <Exclusions bonus />
        </>
      );
    case 'discount':
      return (
        <>
          <Row gutter={16}>
            <Col xs={24} md={8}>
              <Form.Item name={['rules', 'discountPercent']} label={t('rules.discountPercent')} extra={t('rules.discountPercent.help')}>
                {pct()}
              </Form.Item>
            </Col>
            <Col xs={24} md={8}>
              {minCheck}
            </Col>
          </Row>
          <Exclusions />
        </>
      );
    case 'gift':
      return (
        <Row gutter={16}>
          <Col xs={24} md={12}>
            <Form.Item
              name={['rules', 'nominalsMinor']}
              label={t('rules.nominals', { currency: m.suffix })}
              extra={t('rules.nominals.help')}
              rules={[
                { required: true, message: t('validation.required') },
                {
                  validator: (_, v: string[] | undefined) =>
                    (v ?? []).every((x) => {
                      const n = parseMoney(String(x), m.digits);
                      return n !== null && n > 0;
                    })
                      ? Promise.resolve()
                      : Promise.reject(new Error(t('validation.money'))),
                },
              ]}
            >
              <Select mode="tags" tokenSeparators={[';', ' ']} open={false} suffixIcon={null} />
            </Form.Item>
          </Col>
          <Col xs={24} md={6}>
            <Form.Item name={['rules', 'expiryDays']} label={t('rules.giftExpiry')}>
              <InputNumber min={1} max={3650} precision={0} style={{ width: '100%' }} addonAfter={t('common.days')} placeholder={t('rules.never')} />
            </Form.Item>
          </Col>
          <Col xs={24} md={6}>
            <Form.Item name={['rules', 'partialSpend']} valuePropName="checked" label={t('rules.partialSpend')}>
              <Switch />
            </Form.Item>
          </Col>
        </Row>
      );
    case 'coupon':
      return (
        <>
          <Row gutter={16}>
            <Col xs={24} md={8}>
              <Form.Item name={['rules', 'discount', 'type']} label={t('rules.coupon.type')}>
                <Select
                  options={[
                    { value: 'percent', label: t('rules.coupon.percent') },
                    { value: 'fixed', label: t('rules.coupon.fixed') },
                    { value: 'free_item', label: t('rules.coupon.freeItem') },
                  ]}
                />
              </Form.Item>
            </Col>
            {discountType === 'percent' ? (
              <Col xs={24} md={8}>
                <Form.Item
                  name={['rules', 'discount', 'percent']}
                  label={t('rules.discountPercent')}
                  rules={[{ required: true, message: t('validation.required') }]}
                >
                  {pct()}
                </Form.Item>
              </Col>
            ) : null}
            {discountType === 'fixed' ? (
              <Col xs={24} md={8}>
                <Form.Item name={['rules', 'discount', 'amountMinor']} label={t('rules.coupon.amount')} rules={[m.rule(true, true)]}>
                  <Input inputMode="decimal" suffix={m.suffix} />
                </Form.Item>
              </Col>
            ) : null}
            {discountType === 'free_item' ? (
              <>
                <Col xs={24} md={10}>
                  <Form.Item
                    name={['rules', 'discount', 'skus']}
                    label={t('rules.coupon.skus')}
                    rules={[{ required: true, message: t('validation.required') }]}
                    extra={t('rules.tags.help')}
                  >
                    <Select mode="tags" tokenSeparators={[',', ' ', ';']} open={false} suffixIcon={null} />
                  </Form.Item>
                </Col>
                <Col xs={24} md={6}>
                  <Form.Item name={['rules', 'discount', 'qty']} label={t('rules.coupon.qty')}>
                    {whole(1, 100)}
                  </Form.Item>
                </Col>
              </>
            ) : null}
          </Row>
          <Row gutter={16}>
            <Col xs={24} md={8}>
              <Form.Item name={['rules', 'usage']} label={t('rules.coupon.usage')}>
                <Radio.Group
                  optionType="button"
                  options={[
                    { value: 'single', label: t('rules.coupon.single') },
                    { value: 'multi', label: t('rules.coupon.multi') },
                  ]}
                />
              </Form.Item>
            </Col>
            {usage === 'multi' ? (
              <Col xs={24} md={8}>
                <Form.Item name={['rules', 'maxUses']} label={t('rules.coupon.maxUses')}>
                  <InputNumber min={1} precision={0} style={{ width: '100%' }} placeholder={t('common.noLimit')} />
                </Form.Item>
              </Col>
            ) : null}
            <Col xs={24} md={8}>
              <Form.Item name={['rules', 'perGuestLimit']} label={t('rules.coupon.perGuest')}>
                <InputNumber min={1} precision={0} style={{ width: '100%' }} placeholder={t('common.noLimit')} />
              </Form.Item>
            </Col>
            <Col xs={24} md={8}>
              {minCheck}
            </Col>
            <Col xs={24} md={10}>
              <Form.Item name="validity" label={t('rules.coupon.validity')} extra={t('rules.coupon.validity.help')}>
                <DatePicker.RangePicker allowEmpty={[true, true]} format="DD.MM.YYYY" style={{ width: '100%' }} />
              </Form.Item>
            </Col>
            <Col xs={12} md={3}>
              <Form.Item name={['rules', 'codeFormat', 'prefix']} label={t('rules.coupon.prefix')}>
                <Input maxLength={16} style={{ textTransform: 'uppercase' }} />
              </Form.Item>
            </Col>
            <Col xs={12} md={3}>
              <Form.Item name={['rules', 'codeFormat', 'length']} label={t('rules.coupon.length')}>
                {whole(6, 20)}
              </Form.Item>
            </Col>
          </Row>
          {discountType !== 'free_item' ? <Exclusions /> : null}
        </>
      );
    case 'stamp':
      return (
        <Row gutter={16}>
          <Col xs={24} md={8}>
            <Form.Item name={['rules', 'earn', 'mode']} label={t('rules.stamp.mode')}>
              <Select
                options={[
                  { value: 'per_visit', label: t('rules.stamp.perVisit') },
                  { value: 'per_amount', label: t('rules.stamp.perAmount') },
                  { value: 'per_sku', label: t('rules.stamp.perSku') },
                ]}
              />
            </Form.Item>
          </Col>
          {earnMode === 'per_amount' ? (
            <Col xs={24} md={8}>
              <Form.Item name={['rules', 'earn', 'amountMinor']} label={t('rules.stamp.amount')} rules={[m.rule(true, true)]}>
                <Input inputMode="decimal" suffix={m.suffix} />
              </Form.Item>
            </Col>
          ) : null}
          {earnMode === 'per_sku' ? (
            <Col xs={24} md={8}>
              <Form.Item
                name={['rules', 'earn', 'skus']}
                label={t('rules.stamp.skus')}
                rules={[{ required: true, message: t('validation.required') }]}
                extra={t('rules.tags.help')}
              >
                <Select mode="tags" tokenSeparators={[',', ' ', ';']} open={false} suffixIcon={null} />
              </Form.Item>
            </Col>
          ) : null}
          <Col xs={24} md={8}>
            <Form.Item name={['rules', 'stampsRequired']} label={t('rules.stamp.required')} rules={[{ required: true, message: t('validation.required') }]}>
              {whole(1, 1000)}
            </Form.Item>
          </Col>
          <Col xs={24} md={8}>
            <Form.Item name={['rules', 'maxStampsPerPurchase']} label={t('rules.stamp.maxPerPurchase')}>
              <InputNumber min={1} max={1000} precision={0} style={{ width: '100%' }} placeholder={t('common.noLimit')} />
            </Form.Item>
          </Col>
          <Col xs={24} md={8}>
            {minCheck}
          </Col>
          <Col span={24}>
            <Divider orientation="left" plain>
              {t('rules.stamp.reward')}
            </Divider>
          </Col>
          <Col xs={24} md={8}>
            <Form.Item name={['rules', 'reward', 'type']} label={t('rules.stamp.rewardType')}>
              <Radio.Group
                optionType="button"
                options={[
                  { value: 'points', label: t('rules.stamp.rewardPoints') },
                  { value: 'coupon', label: t('rules.stamp.rewardCoupon') },
                ]}
              />
            </Form.Item>
          </Col>
          {rewardType === 'points' ? (
            <Col xs={24} md={8}>
              <Form.Item name={['rules', 'reward', 'points']} label={t('rules.stamp.points')} rules={[{ required: true, message: t('validation.required') }]}>
                {whole(1)}
              </Form.Item>
            </Col>
          ) : (
            <>
              <Col xs={24} md={8}>
                <Form.Item
                  name={['rules', 'reward', 'couponProgramId']}
                  label={t('rules.stamp.couponProgram')}
                  rules={[{ required: true, message: t('validation.required') }]}
                >
                  <Select
                    options={couponPrograms.map((p) => ({ value: p.id, label: p.name }))}
                    notFoundContent={<Typography.Text type="secondary">{t('rules.stamp.noCoupons')}</Typography.Text>}
                  />
                </Form.Item>
              </Col>
              <Col xs={24} md={8}>
                <Form.Item
                  name={['rules', 'reward', 'title']}
                  label={t('rules.stamp.rewardTitle')}
                  rules={[{ required: true, message: t('validation.required') }]}
                >
                  <Input maxLength={200} />
                </Form.Item>
              </Col>
            </>
          )}
        </Row>
      );
  }
}
