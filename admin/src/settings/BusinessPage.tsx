import { useEffect, useMemo, useState } from 'react';
import { Alert, App, Button, Card, Col, Form, Input, InputNumber, Row, Select, Space, Switch, Typography } from 'antd';
import { http } from '../app/api';
import { useI18n } from '../app/i18n';
import { useMe, useSession } from '../app/session';
import { allows, ROLE_SETS } from '../app/roles';
import { applyProblem, problemMessage } from '../app/problems';
import { useLoad } from '../app/useLoad';
import { PageHeader, ProblemAlert } from '../app/ui';
import type { Business, FraudLimits } from '../app/types';
import type { MessageKey } from '../app/messages';
import { offsetMinutes, zoneLabel } from '../app/format';

interface BusinessForm {
  name: string;
  currency: string;
  timezone: string;
  locale: string;
  settings: { fraudLimits: FraudLimits; holdTtlMinutes: number; requireMfaForAdmins: boolean; privacyPolicyUrl: string };
}

const LIMITS: { key: keyof FraudLimits; label: MessageKey; max: number }[] = [
  { key: 'opsPerCardPerHour', label: 'business.fraud.opsPerCardPerHour', max: 10000 },
  { key: 'redemptionsPerCardPerDay', label: 'business.fraud.redemptionsPerCardPerDay', max: 10000 },
  { key: 'adjustmentsPerStaffPerDay', label: 'business.fraud.adjustmentsPerStaffPerDay', max: 100000 },
  { key: 'scannerOpsPerStaffPerHour', label: 'business.fraud.scannerOpsPerStaffPerHour', max: 100000 },
];

function timeZones(): string[] {
  try {
    const all = Intl.supportedValuesOf('timeZone');
    return all.includes('UTC') ? all : ['UTC', ...all];
  } catch {
    return ['UTC', 'Europe/Moscow'];
  }
}

const toForm = (b: Business): BusinessForm => ({
  name: b.name,
  currency: b.currency,
  timezone: b.timezone,
  locale: b.locale,
  settings: {
    fraudLimits: { ...b.settings.fraudLimits },
    holdTtlMinutes: b.settings.holdTtlMinutes,
    requireMfaForAdmins: b.settings.requireMfaForAdmins ?? false,
    privacyPolicyUrl: b.settings.privacyPolicyUrl ?? '',
  },
});

/** Settings › Business: name, time zone, default language, fraud limits, two-factor requirement (PATCH /v1/admin/business). */
export function BusinessPage() {
  const { t, lang } = useI18n();
  const { message } = App.useApp();
  const { staff, business } = useMe();
  const { setBusiness } = useSession();
  const canEdit = allows(ROLE_SETS.admins, staff.role);
  const [form] = Form.useForm<BusinessForm>();
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string>();
  // «Москва (UTC+3)», west to east; the search also finds the IANA name.
  const zones = useMemo(
    () =>
      timeZones()
        .map((z) => ({ value: z, label: zoneLabel(z, lang), search: `${zoneLabel(z, lang)} ${z.replace(/_/g, ' ')}`, offset: offsetMinutes(z) }))
        .sort((a, b) => a.offset - b.offset || a.label.localeCompare(b.label, lang)),
    [lang],
  );

  // The session's copy may be old: another administrator could have changed the settings since.
  const fresh = useLoad(async (signal) => setBusiness(await http.get<Business>('/v1/admin/business', { signal })), [setBusiness]);

  useEffect(() => {
    form.setFieldsValue(toForm(business));
  }, [business, form]);

  const save = async (v: BusinessForm) => {
    setBusy(true);
    setProblem(undefined);
    try {
      const updated = await http.patch<Business>('/v1/admin/business', {
        name: v.name,
        timezone: v.timezone,
        locale: v.locale,
        settings: {
          fraudLimits: v.settings.fraudLimits,
          holdTtlMinutes: v.settings.holdTtlMinutes,
          requireMfaForAdmins: v.settings.requireMfaForAdmins,
          privacyPolicyUrl: v.settings.privacyPolicyUrl.trim() || null,
        },
      });
      setBusiness(updated);
      void message.success(t('business.saved'));
    } catch (e) {
      setProblem(applyProblem(form, e, t));
    } finally {
      setBusy(false);
    }
  };

  const limitHelp = t('common.emptyNoLimit');

  return (
    <>
      <PageHeader title={t('business.title')} />
      {!canEdit ? <Alert type="info" showIcon message={t('common.readOnly')} style={{ marginBottom: 16 }} /> : null}
      {fresh.error ? <ProblemAlert message={problemMessage(fresh.error, t)} /> : null}
      <ProblemAlert message={problem} onClose={() => setProblem(undefined)} />
      <Form<BusinessForm>
        form={form}
        layout="vertical"
        initialValues={toForm(business)}
        onFinish={save}
        disabled={!canEdit}
        requiredMark={false}
        name="business"
        scrollToFirstError
      >
        <Card title={t('business.general')} style={{ marginBottom: 16 }}>
          <Row gutter={24}>
            <Col xs={24} md={12}>
              <Form.Item name="name" label={t('business.name')} rules={[{ required: true, whitespace: true, message: t('validation.required') }]}>
                <Input maxLength={200} />
              </Form.Item>
            </Col>
            <Col xs={24} md={12}>
              <Form.Item name="currency" label={t('business.currency')} extra={t('business.currency.help')}>
                <Input disabled />
              </Form.Item>
            </Col>
            <Col xs={24} md={12}>
              <Form.Item
                name="timezone"
                label={t('business.timezone')}
                extra={t('business.timezone.help')}
                rules={[{ required: true, message: t('validation.required') }]}
              >
                <Select showSearch options={zones} optionFilterProp="search" />
              </Form.Item>
            </Col>
            <Col xs={24} md={12}>
              <Form.Item name="locale" label={t('business.locale')} extra={t('business.locale.help')}>
                <Select
                  options={[
                    { value: 'ru', label: t('lang.ru') },
                    { value: 'en', label: t('lang.en') },
                  ]}
                />
              </Form.Item>
            </Col>
            <Col xs={24}>
              <Form.Item
                name={['settings', 'privacyPolicyUrl']}
                label={t('business.privacyPolicyUrl')}
                extra={t('business.privacyPolicyUrl.help')}
                rules={[{ type: 'url', message: t('business.privacyPolicyUrl.invalid') }]}
              >
                <Input maxLength={500} placeholder="https://example.com/privacy" inputMode="url" data-testid="privacy-policy-url" />
              </Form.Item>
            </Col>
          </Row>
        </Card>

        <Card title={t('business.fraud')} style={{ marginBottom: 16 }}>
          <Typography.Paragraph type="secondary" style={{ marginTop: -4 }}>
            {t('business.fraud.text')}
          </Typography.Paragraph>
          <Row gutter={24}>
            {LIMITS.map((l) => (
              <Col xs={24} md={12} key={l.key}>
                <Form.Item name={['settings', 'fraudLimits', l.key]} label={t(l.label)} extra={limitHelp}>
                  <InputNumber min={1} max={l.max} precision={0} placeholder={t('common.noLimit')} style={{ width: '100%' }} />
                </Form.Item>
              </Col>
            ))}
            <Col xs={24} md={12}>
              <Form.Item
                name={['settings', 'holdTtlMinutes']}
                label={t('business.holdTtl')}
                extra={t('business.holdTtl.help')}
                rules={[{ required: true, message: t('validation.required') }]}
              >
                <InputNumber min={1} max={10080} precision={0} addonAfter={t('business.minutes')} style={{ width: '100%' }} />
              </Form.Item>
            </Col>
          </Row>
        </Card>

        <Card title={t('business.security')} style={{ marginBottom: 16 }}>
          <Form.Item name={['settings', 'requireMfaForAdmins']} label={t('business.requireMfa')} extra={t('business.requireMfa.help')} valuePropName="checked">
            <Switch data-testid="require-mfa" />
          </Form.Item>
        </Card>

        {canEdit ? (
          <Space>
            <Button type="primary" htmlType="submit" loading={busy}>
              {t('common.save')}
            </Button>
            <Button onClick={() => form.setFieldsValue(toForm(business))} disabled={busy}>
              {t('common.reset')}
            </Button>
          </Space>
        ) : null}
      </Form>
    </>
  );
}
