import { useState } from 'react';
import { Alert, App, Button, Card, Col, Form, FormInstance, Image, Input, Row, Space, Tag, Typography } from 'antd';
import { SafetyCertificateOutlined } from '@ant-design/icons';
import { http } from '../app/api';
import { useI18n } from '../app/i18n';
import { useSession } from '../app/session';
import { applyProblem, problemMessage } from '../app/problems';
import { useLoad } from '../app/useLoad';
import { PageHeader, ProblemAlert } from '../app/ui';

interface SecurityState {
  mfaEnabled: boolean;
  mfaRequired: boolean;
  recoveryCodesLeft: number;
}

interface Enrolment {
  secret: string;
  otpauthUri: string;
  qrDataUrl: string;
}

/** Change my password: the current one, a new one checked by the hub's policy; my other sessions end. */
function PasswordCard() {
  const { t } = useI18n();
  const { message } = App.useApp();
  const [form] = Form.useForm<{ currentPassword: string; newPassword: string; repeat: string }>();
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string>();

  const submit = async (v: { currentPassword: string; newPassword: string }) => {
    setBusy(true);
    setProblem(undefined);
    try {
      const r = await http.post<{ sessionsEnded: number }>('/v1/admin/me/password', { currentPassword: v.currentPassword, newPassword: v.newPassword });
      form.resetFields();
      void message.success(t('security.password.changed', { count: r.sessionsEnded }));
    } catch (e) {
      setProblem(applyProblem(form, e, t));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Card title={t('security.password')} style={{ marginBottom: 16 }}>
      <ProblemAlert message={problem} onClose={() => setProblem(undefined)} />
      <Form form={form} layout="vertical" requiredMark={false} onFinish={submit} name="password" style={{ maxWidth: 420 }}>
        <Form.Item name="currentPassword" label={t('security.password.current')} rules={[{ required: true, message: t('validation.required') }]}>
          <Input.Password autoComplete="current-password" />
        </Form.Item>
        <Form.Item
          name="newPassword"
          label={t('security.password.new')}
          extra={t('security.password.rules')}
          rules={[{ required: true, message: t('validation.required') }]}
        >
          <Input.Password autoComplete="new-password" />
        </Form.Item>
        <Form.Item
          name="repeat"
          label={t('security.password.repeat')}
          dependencies={['newPassword']}
          rules={[
            { required: true, message: t('validation.required') },
            ({ getFieldValue }) => ({
              validator: (_, value) =>
                !value || getFieldValue('newPassword') === value ? Promise.resolve() : Promise.reject(new Error(t('security.password.mismatch'))),
            }),
          ]}
        >
          <Input.Password autoComplete="new-password" />
        </Form.Item>
        <Button type="primary" htmlType="submit" loading={busy}>
          {t('security.password.submit')}
        </Button>
      </Form>
    </Card>
  );
}

/**
 * Two-factor sign-in: enrol (the key shown once as a QR and as text, confirmed with a code), the 10
 * recovery codes shown once, and turning it off with the password and a code.
 */
function MfaCard() {
  const { t } = useI18n();
  const { message } = App.useApp();
  const { refresh } = useSession();
  const state = useLoad((signal) => http.get<SecurityState>('/v1/admin/me/security', { signal }), []);
  const [enrolment, setEnrolment] = useState<Enrolment>();
  const [codes, setCodes] = useState<string[]>();
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string>();
  const [confirmForm] = Form.useForm<{ code: string }>();
  const [offForm] = Form.useForm<{ password: string; code: string }>();

  const run = async (form: FormInstance<any> | undefined, fn: () => Promise<void>) => {
    setBusy(true);
    setProblem(undefined);
    try {
      await fn();
    } catch (e) {
      setProblem(form ? applyProblem(form, e, t) : problemMessage(e, t));
    } finally {
      setBusy(false);
    }
  };

  const start = () => run(undefined, async () => setEnrolment(await http.post<Enrolment>('/v1/admin/me/mfa')));
  const confirm = (v: { code: string }) =>
    run(confirmForm, async () => {
      const r = await http.post<{ recoveryCodes: string[] }>('/v1/admin/me/mfa/confirm', { code: v.code.trim() });
      setEnrolment(undefined);
      setCodes(r.recoveryCodes);
      confirmForm.resetFields();
      void message.success(t('security.mfa.enabled'));
      await refresh();
    });
  const done = () => {
    setCodes(undefined);
    state.reload();
  };
  const disable = (v: { password: string; code: string }) =>
    run(offForm, async () => {
      await http.post('/v1/admin/me/mfa/disable', { password: v.password, code: v.code.trim() });
      offForm.resetFields();
      void message.success(t('security.mfa.disabled'));
      state.reload();
      await refresh();
    });

  const s = state.data;
  return (
    <Card
      title={
        <Space>
          <SafetyCertificateOutlined />
          {t('security.mfa')}
          {s ? (
            <Tag color={s.mfaEnabled ? 'green' : 'default'} data-testid="mfa-status">
              {t(s.mfaEnabled ? 'security.mfa.on' : 'security.mfa.off')}
            </Tag>
          ) : null}
        </Space>
      }
      loading={state.loading && !s}
    >
      {state.error ? <ProblemAlert message={problemMessage(state.error, t)} /> : null}
      <ProblemAlert message={problem} onClose={() => setProblem(undefined)} />
      {s?.mfaRequired && !s.mfaEnabled && !codes ? (
        <Alert type="warning" showIcon message={t('security.mfa.required')} style={{ marginBottom: 16 }} data-testid="mfa-required" />
      ) : null}

      {codes ? (
        <div data-testid="recovery-codes">
          <Typography.Title level={5}>{t('security.mfa.codes')}</Typography.Title>
          <Typography.Paragraph type="secondary">{t('security.mfa.codesText')}</Typography.Paragraph>
          <Row gutter={[8, 8]} style={{ maxWidth: 420, marginBottom: 16 }}>
            {codes.map((c) => (
              <Col span={12} key={c}>
                <Typography.Text code copyable={false}>
                  {c}
                </Typography.Text>
              </Col>
            ))}
          </Row>
          <Space>
            <Typography.Text copyable={{ text: codes.join('\n') }}>{t('common.copy')}</Typography.Text>
            <Button type="primary" onClick={done}>
              {t('security.mfa.codesDone')}
            </Button>
          </Space>
        </div>
      ) : enrolment ? (
        <div data-testid="mfa-enrolment">
          <Typography.Paragraph>{t('security.mfa.scan')}</Typography.Paragraph>
          <Space align="start" size={24} wrap>
            <Image src={enrolment.qrDataUrl} width={200} height={200} preview={false} alt="otpauth QR" data-testid="mfa-qr" />
            <div style={{ maxWidth: 320 }}>
              <Typography.Text type="secondary">{t('security.mfa.secret')}</Typography.Text>
              <Typography.Paragraph copyable code data-testid="mfa-secret" style={{ wordBreak: 'break-all' }}>
                {enrolment.secret}
              </Typography.Paragraph>
              <Form form={confirmForm} layout="vertical" requiredMark={false} onFinish={confirm} name="mfa-confirm">
                <Form.Item name="code" label={t('security.mfa.code')} rules={[{ required: true, message: t('validation.required') }]}>
                  <Input autoComplete="one-time-code" inputMode="numeric" maxLength={20} />
                </Form.Item>
                <Button type="primary" htmlType="submit" loading={busy}>
                  {t('security.mfa.confirm')}
                </Button>
              </Form>
            </div>
          </Space>
        </div>
      ) : s?.mfaEnabled ? (
        <>
          <Typography.Paragraph>{t('security.mfa.onText', { count: s.recoveryCodesLeft })}</Typography.Paragraph>
          {s.mfaRequired ? null : (
            <>
              <Typography.Paragraph type="secondary">{t('security.mfa.disableText')}</Typography.Paragraph>
              <Form form={offForm} layout="vertical" requiredMark={false} onFinish={disable} name="mfa-disable" style={{ maxWidth: 420 }}>
                <Form.Item name="password" label={t('security.password.current')} rules={[{ required: true, message: t('validation.required') }]}>
                  <Input.Password autoComplete="current-password" />
                </Form.Item>
                <Form.Item name="code" label={t('security.mfa.codeOrRecovery')} rules={[{ required: true, message: t('validation.required') }]}>
                  <Input autoComplete="one-time-code" maxLength={20} />
                </Form.Item>
                <Button danger htmlType="submit" loading={busy}>
                  {t('security.mfa.disable')}
                </Button>
              </Form>
            </>
          )}
        </>
      ) : s ? (
        <>
          <Typography.Paragraph type="secondary">{t('security.mfa.offText')}</Typography.Paragraph>
          <Button type="primary" onClick={start} loading={busy} data-testid="mfa-start">
            {t('security.mfa.start')}
          </Button>
        </>
      ) : null}
    </Card>
  );
}

/** Settings › Security: the signed-in member's own password and two-factor sign-in (any role). */
export function SecurityPage() {
  const { t } = useI18n();
  return (
    <>
      <PageHeader title={t('security.title')} intro={t('security.intro')} />
      <MfaCard />
      <PasswordCard />
    </>
  );
}
