import { useState } from 'react';
import { Alert, Button, Card, Form, Input, Typography } from 'antd';
import { LockOutlined, MailOutlined } from '@ant-design/icons';
import { useI18n } from '../app/i18n';
import { useSession } from '../app/session';
import { problemMessage } from '../app/problems';
import { useDocumentTitle } from '../app/ui';
import { LanguageSwitch } from '../app/Shell';
import { MfaStep } from '../login/MfaStep';

/** The cashier's sign-in: the console's staff session, so one login serves both. */
export function ScannerLogin({ expired }: { expired: boolean }) {
  const { t } = useI18n();
  const { login } = useSession();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const [challenge, setChallenge] = useState<string>();
  useDocumentTitle(t('scanner.title'));
  return (
    <div className="login-screen">
      <div className="login-lang">
        <LanguageSwitch />
      </div>
      <Card className="login-card" variant="borderless">
        <div style={{ display: 'flex', alignItems: 'center', gap: 10, marginBottom: 20 }}>
          <span className="brand-mark">L</span>
          <span className="brand-product">{t('scanner.title')}</span>
        </div>
        <Typography.Title level={3} style={{ margin: 0 }}>
          {t('scanner.login.title')}
        </Typography.Title>
        <Typography.Paragraph type="secondary" style={{ marginTop: 4 }}>
          {t('scanner.login.subtitle')}
        </Typography.Paragraph>
        {error !== undefined || expired ? (
          <Alert
            type="error"
            showIcon
            message={error !== undefined ? problemMessage(error, t) : t('error.sessionExpired')}
            style={{ marginBottom: 16 }}
            role="alert"
            data-testid="login-error"
          />
        ) : null}
        {challenge ? (
          <MfaStep
            challenge={challenge}
            onBack={(problem) => {
              setChallenge(undefined);
              setError(problem);
            }}
          />
        ) : null}
        <Form
          hidden={!!challenge}
          layout="vertical"
          requiredMark={false}
          name="scanner-login"
          onFinish={async (v: { email: string; password: string }) => {
            setBusy(true);
            setError(undefined);
            try {
              const r = await login(v.email.trim(), v.password);
              if ('mfaRequired' in r) {
                setChallenge(r.challenge);
                setBusy(false);
              }
            } catch (e) {
              setError(e);
              setBusy(false);
            }
          }}
        >
          <Form.Item name="email" label={t('login.email')} rules={[{ required: true, message: t('validation.required') }]}>
            <Input prefix={<MailOutlined className="muted" />} autoComplete="username" size="large" inputMode="email" />
          </Form.Item>
          <Form.Item name="password" label={t('login.password')} rules={[{ required: true, message: t('validation.required') }]}>
            <Input.Password prefix={<LockOutlined className="muted" />} autoComplete="current-password" size="large" />
          </Form.Item>
          <Button type="primary" htmlType="submit" block size="large" loading={busy}>
            {t('login.submit')}
          </Button>
        </Form>
      </Card>
    </div>
  );
}
