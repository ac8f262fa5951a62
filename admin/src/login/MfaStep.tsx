import { useState } from 'react';
import { Alert, Button, Form, Input, Typography } from 'antd';
import { SafetyOutlined } from '@ant-design/icons';
import { useI18n } from '../app/i18n';
import { useSession } from '../app/session';
import { applyProblem, problemMessage } from '../app/problems';
import { isApiError } from '../app/api';

/**
 * The login's second step for a member with two-factor sign-in: a six-digit code from the
 * authenticator app or a recovery code, sent with the challenge the password step returned.
 * An expired or burnt challenge sends the person back to the password.
 */
export function MfaStep({ challenge, onDone, onBack }: { challenge: string; onDone?: () => void; onBack: (problem?: unknown) => void }) {
  const { t } = useI18n();
  const { completeMfa } = useSession();
  const [form] = Form.useForm<{ code: string }>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(undefined);

  const submit = async (v: { code: string }) => {
    setBusy(true);
    setError(undefined);
    try {
      await completeMfa(challenge, v.code.trim());
      onDone?.();
    } catch (e) {
      setBusy(false);
      if (isApiError(e) && (e.code === 'mfa_challenge_invalid' || e.code === 'mfa_attempts_exceeded')) return onBack(e);
      if (applyProblem(form, e, t) !== undefined) setError(e);
    }
  };

  return (
    <div data-testid="mfa-step">
      <Typography.Title level={3} style={{ margin: 0 }}>
        {t('login.mfa.title')}
      </Typography.Title>
      <Typography.Paragraph type="secondary" style={{ marginTop: 4 }}>
        {t('login.mfa.text')}
      </Typography.Paragraph>
      {error !== undefined ? (
        <Alert type="error" showIcon message={problemMessage(error, t)} style={{ marginBottom: 16 }} role="alert" data-testid="login-error" />
      ) : null}
      <Form<{ code: string }> form={form} layout="vertical" requiredMark={false} onFinish={submit} name="mfa">
        <Form.Item name="code" label={t('login.mfa.code')} rules={[{ required: true, message: t('validation.required') }]}>
          <Input
            prefix={<SafetyOutlined className="muted" />}
            autoComplete="one-time-code"
            inputMode="text"
            size="large"
            autoFocus
            maxLength={20}
            data-testid="mfa-code"
          />
        </Form.Item>
        <Button type="primary" htmlType="submit" block size="large" loading={busy}>
          {t('login.mfa.submit')}
        </Button>
        <Button type="link" block onClick={() => onBack()} style={{ marginTop: 8 }}>
          {t('login.mfa.back')}
        </Button>
      </Form>
    </div>
  );
}
