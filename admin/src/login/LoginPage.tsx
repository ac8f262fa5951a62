import { useState } from 'react';
import { useLocation, useNavigate } from 'react-router-dom';
import { Alert, Button, Card, Form, Input, Typography } from 'antd';
import { LockOutlined, MailOutlined } from '@ant-design/icons';
import { useI18n } from '../app/i18n';
import { useSession } from '../app/session';
import { applyProblem, problemMessage } from '../app/problems';
import { LanguageSwitch } from '../app/Shell';
import { useDocumentTitle } from '../app/ui';
import { MfaStep } from './MfaStep';

interface LoginForm {
  email: string;
  password: string;
}

/**
 * Staff sign-in. The hub answers the same way for a wrong e-mail and a wrong password. A member with
 * two-factor sign-in gets a second step (a code from the app or a recovery code).
 */
export function LoginPage() {
  const { t } = useI18n();
  const { login } = useSession();
  const navigate = useNavigate();
  const location = useLocation();
  const from = (location.state as { from?: string; expired?: boolean } | null) ?? {};
  const [form] = Form.useForm<LoginForm>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(undefined);
  const [challenge, setChallenge] = useState<string>();
  // Worded at render time, so switching the language re-words it too.
  const problem = error !== undefined ? problemMessage(error, t) : from.expired ? t('error.sessionExpired') : undefined;
  useDocumentTitle(t('login.title'));

  const submit = async (v: LoginForm) => {
    setBusy(true);
    setError(undefined);
    try {
      const r = await login(v.email.trim(), v.password);
      if ('mfaRequired' in r) {
        setChallenge(r.challenge);
        setBusy(false);
        return;
      }
      navigate(from.from && from.from !== '/login' ? from.from : '/', { replace: true });
    } catch (e) {
      if (applyProblem(form, e, t) !== undefined) setError(e);
      setBusy(false);
    }
  };

  return (
    <div className="login-screen">
      <div className="login-lang">
        <LanguageSwitch />
      </div>
      <Card className="login-card" variant="borderless">
        <div style={{ display: 'flex', alignItems: 'center', gap: 10, marginBottom: 20 }}>
          <span className="brand-mark">L</span>
          <span className="brand-product">{t('app.product')}</span>
        </div>
        {challenge ? (
          <MfaStep
            challenge={challenge}
            onDone={() => navigate(from.from && from.from !== '/login' ? from.from : '/', { replace: true })}
            onBack={(problem) => {
              setChallenge(undefined);
              setError(problem);
            }}
          />
        ) : (
          <>
            <Typography.Title level={3} style={{ margin: 0 }}>
              {t('login.title')}
            </Typography.Title>
            <Typography.Paragraph type="secondary" style={{ marginTop: 4 }}>
              {t('login.subtitle')}
            </Typography.Paragraph>
            {problem ? <Alert type="error" showIcon message={problem} style={{ marginBottom: 16 }} role="alert" data-testid="login-error" /> : null}
            <Form<LoginForm> form={form} layout="vertical" requiredMark={false} onFinish={submit} autoComplete="on" name="login">
              <Form.Item
                name="email"
                label={t('login.email')}
                rules={[
                  { required: true, message: t('validation.required') },
                  { type: 'email', message: t('validation.email') },
                ]}
              >
                <Input prefix={<MailOutlined className="muted" />} autoComplete="username" size="large" autoFocus />
              </Form.Item>
              <Form.Item name="password" label={t('login.password')} rules={[{ required: true, message: t('validation.required') }]}>
                <Input.Password prefix={<LockOutlined className="muted" />} autoComplete="current-password" size="large" />
              </Form.Item>
              <Button type="primary" htmlType="submit" block size="large" loading={busy}>
                {t('login.submit')}
              </Button>
            </Form>
          </>
        )}
        <Typography.Paragraph type="secondary" style={{ margin: '16px 0 0', fontSize: 13 }}>
          {t('login.footer')}
        </Typography.Paragraph>
      </Card>
    </div>
  );
}
