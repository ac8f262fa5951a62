import { useState } from 'react';
import { App, Button, Card, Col, Form, InputNumber, Row, Select, Space, Statistic, Typography } from 'antd';
import { http } from '../app/api';
import { useI18n } from '../app/i18n';
import { useMe } from '../app/session';
import { useLoad } from '../app/useLoad';
import { allows, ROLE_SETS } from '../app/roles';
import { applyProblem } from '../app/problems';
import { ProblemAlert } from '../app/ui';

/** GET/PATCH /v1/admin/engagement/sms-policy. */
export interface SmsPolicy {
  dailyBudget: number;
  codesPerIpPerHour: number;
  codesPerFormPerHour: number;
  allowedPrefixes: string[] | null;
  effectivePrefixes: string[] | null;
  today: { day: string; sent: number; exhaustedAt: string | null };
}

type Values = Pick<SmsPolicy, 'dailyBudget' | 'codesPerIpPerHour' | 'codesPerFormPerHour'> & { allowedPrefixes: string[] };

/**
 * The SMS policy of the registration pages: today's spending against the daily budget, the caps per
 * address and per page, and the countries codes may go to (empty = the business's own country).
 * Owners and admins change it; marketers see it.
 */
export function SmsPolicyCard() {
  const { t } = useI18n();
  const { staff } = useMe();
  const { message } = App.useApp();
  const canEdit = allows(ROLE_SETS.admins, staff.role);
  const [form] = Form.useForm<Values>();
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string>();
  const { data, reload } = useLoad(async (signal) => {
    const p = await http.get<SmsPolicy>('/v1/admin/engagement/sms-policy', { signal });
    form.setFieldsValue({ ...p, allowedPrefixes: p.allowedPrefixes ?? [] });
    return p;
  }, []);
  const save = async (v: Values) => {
    setBusy(true);
    setProblem(undefined);
    try {
      await http.patch<SmsPolicy>('/v1/admin/engagement/sms-policy', { ...v, allowedPrefixes: v.allowedPrefixes.length ? v.allowedPrefixes : null });
      void message.success(t('forms.smsPolicy.saved'));
      reload();
    } catch (e) {
      setProblem(applyProblem(form, e, t));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Card title={t('forms.smsPolicy')} style={{ marginTop: 16 }} data-testid="sms-policy">
      <Typography.Paragraph type="secondary" style={{ marginTop: -4 }}>
        {t('forms.smsPolicy.text')}
      </Typography.Paragraph>
      {data ? (
        <Statistic
          title={t('forms.smsPolicy.today')}
          value={data.today.sent}
          suffix={`/ ${data.dailyBudget}`}
          valueStyle={data.today.exhaustedAt ? { color: '#cf1322' } : undefined}
          style={{ marginBottom: 16 }}
          data-testid="sms-today"
        />
      ) : null}
      <ProblemAlert message={problem} />
      <Form<Values> form={form} layout="vertical" onFinish={save} disabled={!canEdit} requiredMark={false} name="smsPolicy">
        <Row gutter={24}>
          <Col xs={24} md={8}>
            <Form.Item name="dailyBudget" label={t('forms.smsPolicy.budget')} rules={[{ required: true, message: t('validation.required') }]}>
              <InputNumber min={0} max={1_000_000} precision={0} style={{ width: '100%' }} />
            </Form.Item>
          </Col>
          <Col xs={24} md={8}>
            <Form.Item name="codesPerIpPerHour" label={t('forms.smsPolicy.perIp')} rules={[{ required: true, message: t('validation.required') }]}>
              <InputNumber min={1} max={10_000} precision={0} style={{ width: '100%' }} />
            </Form.Item>
          </Col>
          <Col xs={24} md={8}>
            <Form.Item name="codesPerFormPerHour" label={t('forms.smsPolicy.perForm')} rules={[{ required: true, message: t('validation.required') }]}>
              <InputNumber min={1} max={100_000} precision={0} style={{ width: '100%' }} />
            </Form.Item>
          </Col>
          <Col xs={24}>
            <Form.Item name="allowedPrefixes" label={t('forms.smsPolicy.prefixes')} extra={t('forms.smsPolicy.prefixes.help')}>
              <Select mode="tags" tokenSeparators={[',', ' ']} placeholder={(data?.effectivePrefixes ?? []).join(', ')} />
            </Form.Item>
          </Col>
        </Row>
        {canEdit ? (
          <Space>
            <Button type="primary" htmlType="submit" loading={busy} data-testid="sms-policy-save">
              {t('common.save')}
            </Button>
          </Space>
        ) : null}
      </Form>
    </Card>
  );
}
