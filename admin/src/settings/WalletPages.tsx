import { useState } from 'react';
import { Alert, App, Button, Card, Col, Descriptions, Form, Input, Row, Segmented, Space, Tag, Typography, Upload } from 'antd';
import type { FormInstance } from 'antd';
import { CheckCircleOutlined, ExperimentOutlined, UploadOutlined } from '@ant-design/icons';
import { http, isApiError } from '../app/api';
import { useI18n, type Translate } from '../app/i18n';
import { useMe } from '../app/session';
import { allows, ROLE_SETS } from '../app/roles';
import { problemMessage, toNamePath } from '../app/problems';
import { useLoad } from '../app/useLoad';
import { formatDate } from '../app/format';
import { ErrorState, PageHeader, PageSpinner, ProblemAlert } from '../app/ui';
import type { MessageKey } from '../app/messages';

/** GET /v1/admin/wallet/status: the state of both wallets, never a key. */
export interface WalletStatus {
  configured: boolean;
  smsAvailable: boolean;
  apple: {
    configured: boolean;
    passTypeId: string | null;
    teamId: string | null;
    subject: string | null;
    notAfter: string | null;
    daysLeft: number | null;
    expiresSoon: boolean;
    expired: boolean;
    fingerprint: string | null;
    pushConfigured: boolean;
  };
  google: {
    configured: boolean;
    issuerId: string | null;
    clientEmail: string | null;
    source: 'business' | 'hub' | 'none';
    keyFingerprint: string | null;
    privateKeyId: string | null;
  };
}

interface TestPass {
  platform: 'apple' | 'google';
  ok: boolean;
  problems: string[];
  details: { serial: string; files: string[]; signedBy: string | null };
}

/** The wallet's problem codes in the console's words (the hub's `detail` is English). */
export function walletProblem(e: unknown, t: Translate): string {
  if (isApiError(e)) {
    const key = `wallet.error.${e.code}` as MessageKey;
    const text = t(key);
    if (text !== key) return text;
  }
  return problemMessage(e, t);
}

/**
 * Puts the hub's refusal under the field it names (`serviceAccount.private_key` goes under
 * `serviceAccount`); returns the sentence for the page when no field of the form matches.
 */
function placeProblem(form: FormInstance, e: unknown, t: Translate): string | undefined {
  const message = isApiError(e) && e.status === 400 && !e.code.startsWith('invalid_') ? t('wallet.error.validation') : walletProblem(e, t);
  if (!isApiError(e) || !e.errors.length) return message;
  const registered = new Set(form.getFieldsError().map((f) => f.name.join('.')));
  const placed = new Map<string, string>();
  for (const fe of e.errors) {
    const path = toNamePath(fe.field);
    while (path.length > 1 && !registered.has(path.join('.'))) path.pop();
    const name = path.join('.');
    if (registered.has(name) && !placed.has(name)) placed.set(name, message);
  }
  if (!placed.size) return message;
  form.setFields([...placed].map(([name, text]) => ({ name: toNamePath(name), errors: [text] })));
  return undefined;
}

const readFile = (f: File, as: 'base64' | 'text') =>
  new Promise<string>((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => resolve(as === 'text' ? String(r.result) : String(r.result).replace(/^data:[^,]*,/, ''));
    r.onerror = () => reject(r.error);
    if (as === 'text') r.readAsText(f);
    else r.readAsDataURL(f);
  });

/** A form field whose value is a file's content (base64 or text), picked with a button. */
function FileField({
  value,
  onChange,
  as,
  accept,
  label,
  testId,
}: {
  value?: string;
  onChange?: (v: string) => void;
  as: 'base64' | 'text';
  accept: string;
  label: string;
  testId: string;
}) {
  const [name, setName] = useState<string>();
  return (
    <Space wrap>
      <Upload
        accept={accept}
        showUploadList={false}
        maxCount={1}
        beforeUpload={(file) => {
          void readFile(file, as).then((content) => {
            setName(file.name);
            onChange?.(content);
          });
          return false;
        }}
      >
        <Button icon={<UploadOutlined />} data-testid={testId}>
          {label}
        </Button>
      </Upload>
      {name && value ? <Typography.Text type="secondary">{name}</Typography.Text> : null}
    </Space>
  );
}

function useWalletStatus() {
  return useLoad((signal) => http.get<WalletStatus>('/v1/admin/wallet/status', { signal }), []);
}

/** "Issue a test pass": the hub signs one with what is on file and verifies it; the verdict is shown in place. */
function TestPassButton({ platform, disabled }: { platform: 'apple' | 'google'; disabled: boolean }) {
  const { t } = useI18n();
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<TestPass>();
  const [problem, setProblem] = useState<string>();
  const run = async () => {
    setBusy(true);
    setProblem(undefined);
    setResult(undefined);
    try {
      setResult(await http.post<TestPass>(`/v1/admin/wallet/${platform}/test-pass`, {}));
    } catch (e) {
      setProblem(walletProblem(e, t));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Space direction="vertical" style={{ width: '100%' }}>
      <Button icon={<ExperimentOutlined />} onClick={run} loading={busy} disabled={disabled} data-testid="wallet-test">
        {t('wallet.test')}
      </Button>
      {result ? (
        <Alert
          data-testid="wallet-test-result"
          type={result.ok ? 'success' : 'error'}
          showIcon
          message={
            result.ok
              ? platform === 'apple'
                ? t('wallet.test.ok', { files: result.details.files.join(', ') })
                : t('wallet.test.okGoogle', { email: result.details.signedBy ?? '—' })
              : t('wallet.test.failed')
          }
          description={result.ok ? undefined : result.problems.join('; ')}
        />
      ) : null}
      <ProblemAlert message={problem} onClose={() => setProblem(undefined)} />
    </Space>
  );
}

const ConfiguredTag = ({ on, hub }: { on: boolean; hub?: boolean }) => {
  const { t } = useI18n();
  return on ? (
    <Tag color="green" icon={<CheckCircleOutlined />} data-testid="wallet-state">
      {t(hub ? 'wallet.hubConfigured' : 'wallet.configured')}
    </Tag>
  ) : (
    <Tag data-testid="wallet-state">{t('wallet.notConfigured')}</Tag>
  );
};

interface AppleForm {
  format: 'p12' | 'pem';
  p12Base64?: string;
  p12Password?: string;
  certificatePem?: string;
  privateKeyPem?: string;
  privateKeyPassphrase?: string;
  teamId?: string;
  passTypeId?: string;
}

const blank = (s: string | undefined) => (s && s.trim() ? s.trim() : undefined);

/** Settings › Apple Wallet: the Pass Type ID certificate (.p12 or PEM), its state and a test pass. */
export function AppleWalletPage() {
  const { t, lang } = useI18n();
  const { message } = App.useApp();
  const { staff, business } = useMe();
  const canEdit = allows(ROLE_SETS.admins, staff.role);
  const status = useWalletStatus();
  const [form] = Form.useForm<AppleForm>();
  const format = Form.useWatch('format', form) ?? 'p12';
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string>();

  if (status.error) return <ErrorState error={status.error} onRetry={status.reload} />;
  if (!status.data) return <PageSpinner />;
  const a = status.data.apple;
  const date = (iso: string | null) => formatDate(iso, lang, business.timezone);

  const save = async (v: AppleForm) => {
    setBusy(true);
    setProblem(undefined);
    const body =
      v.format === 'p12'
        ? { p12Base64: v.p12Base64, p12Password: v.p12Password ?? '' }
        : { certificatePem: blank(v.certificatePem), privateKeyPem: blank(v.privateKeyPem), privateKeyPassphrase: v.privateKeyPassphrase || undefined };
    try {
      await http.put('/v1/admin/wallet/apple', { ...body, teamId: blank(v.teamId), passTypeId: blank(v.passTypeId) });
      void message.success(t('wallet.saved'));
      form.resetFields();
      status.reload();
    } catch (e) {
      setProblem(placeProblem(form, e, t));
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <PageHeader title={t('wallet.apple.title')} intro={t('wallet.apple.intro')} />
      {a.expired ? (
        <Alert type="error" showIcon message={t('wallet.expired', { date: date(a.notAfter) })} style={{ marginBottom: 16 }} data-testid="wallet-expiry" />
      ) : null}
      {a.expiresSoon ? (
        <Alert type="warning" showIcon message={t('wallet.expiresSoon', { date: date(a.notAfter) })} style={{ marginBottom: 16 }} data-testid="wallet-expiry" />
      ) : null}
      <Row gutter={16}>
        <Col xs={24} lg={12}>
          <Card title={t('wallet.state')} style={{ marginBottom: 16 }} data-testid="wallet-apple-state">
            <Descriptions column={1} size="small" colon={false} styles={{ label: { width: 190 } }}>
              <Descriptions.Item label={t('common.status')}>
                <ConfiguredTag on={a.configured} />
              </Descriptions.Item>
              {a.configured ? (
                <>
                  <Descriptions.Item label={t('wallet.passTypeId')}>{a.passTypeId}</Descriptions.Item>
                  <Descriptions.Item label={t('wallet.teamId')}>{a.teamId}</Descriptions.Item>
                  <Descriptions.Item label={t('wallet.subject')}>
                    <Typography.Text style={{ wordBreak: 'break-word' }} data-testid="wallet-subject">
                      {a.subject}
                    </Typography.Text>
                  </Descriptions.Item>
                  <Descriptions.Item label={t('wallet.expires')}>
                    <span data-testid="wallet-expires">{t('wallet.daysLeft', { date: date(a.notAfter), days: a.daysLeft ?? 0 })}</span>
                  </Descriptions.Item>
                  <Descriptions.Item label={t('wallet.fingerprint')}>
                    <Typography.Text code style={{ fontSize: 11, wordBreak: 'break-all' }}>
                      {a.fingerprint}
                    </Typography.Text>
                  </Descriptions.Item>
                  <Descriptions.Item label={t('wallet.push')}>{t(a.pushConfigured ? 'wallet.push.on' : 'wallet.push.off')}</Descriptions.Item>
                </>
              ) : null}
            </Descriptions>
            <div style={{ marginTop: 16 }}>
              <TestPassButton platform="apple" disabled={!a.configured || !canEdit} />
            </div>
          </Card>
        </Col>
        <Col xs={24} lg={12}>
          <Card title={t(a.configured ? 'wallet.upload.replace' : 'wallet.upload')} style={{ marginBottom: 16 }}>
            {!canEdit ? <Alert type="info" showIcon message={t('common.readOnly')} style={{ marginBottom: 16 }} /> : null}
            <ProblemAlert message={problem} onClose={() => setProblem(undefined)} />
            <Form<AppleForm>
              form={form}
              layout="vertical"
              initialValues={{ format: 'p12' }}
              onFinish={save}
              disabled={!canEdit}
              requiredMark={false}
              name="apple-wallet"
            >
              <Form.Item name="format" label={t('wallet.format')}>
                <Segmented
                  options={[
                    { value: 'p12', label: t('wallet.format.p12') },
                    { value: 'pem', label: t('wallet.format.pem') },
                  ]}
                />
              </Form.Item>
              {format === 'p12' ? (
                <>
                  <Form.Item name="p12Base64" label={t('wallet.p12')} rules={[{ required: true, message: t('validation.required') }]}>
                    <FileField as="base64" accept=".p12,.pfx,application/x-pkcs12" label={t('wallet.p12.pick')} testId="wallet-p12" />
                  </Form.Item>
                  <Form.Item name="p12Password" label={t('wallet.p12Password')}>
                    <Input.Password autoComplete="new-password" data-testid="wallet-p12-password" />
                  </Form.Item>
                </>
              ) : (
                <>
                  <Form.Item
                    name="certificatePem"
                    label={t('wallet.certificatePem')}
                    rules={[{ required: true, whitespace: true, message: t('validation.required') }]}
                    extra={
                      <FileField
                        as="text"
                        accept=".pem,.crt,.cer"
                        label={t('wallet.pem.pick')}
                        testId="wallet-cert-file"
                        onChange={(v) => form.setFieldValue('certificatePem', v)}
                      />
                    }
                  >
                    <Input.TextArea rows={4} placeholder="-----BEGIN CERTIFICATE-----" data-testid="wallet-cert" spellCheck={false} />
                  </Form.Item>
                  <Form.Item
                    name="privateKeyPem"
                    label={t('wallet.privateKeyPem')}
                    rules={[{ required: true, whitespace: true, message: t('validation.required') }]}
                    extra={
                      <FileField
                        as="text"
                        accept=".pem,.key"
                        label={t('wallet.pem.pick')}
                        testId="wallet-key-file"
                        onChange={(v) => form.setFieldValue('privateKeyPem', v)}
                      />
                    }
                  >
                    <Input.TextArea rows={4} placeholder="-----BEGIN PRIVATE KEY-----" data-testid="wallet-key" spellCheck={false} />
                  </Form.Item>
                  <Form.Item name="privateKeyPassphrase" label={`${t('wallet.privateKeyPassphrase')} (${t('wallet.optional')})`}>
                    <Input.Password autoComplete="new-password" />
                  </Form.Item>
                </>
              )}
              <Row gutter={16}>
                <Col xs={24} md={12}>
                  <Form.Item
                    name="teamId"
                    label={`${t('wallet.teamId')} (${t('wallet.optional')})`}
                    extra={t('wallet.teamId.help')}
                    rules={[{ pattern: /^[A-Z0-9]{10}$/, message: t('wallet.teamId.help') }]}
                  >
                    <Input maxLength={10} data-testid="wallet-team-id" />
                  </Form.Item>
                </Col>
                <Col xs={24} md={12}>
                  <Form.Item
                    name="passTypeId"
                    label={`${t('wallet.passTypeId')} (${t('wallet.optional')})`}
                    extra={t('wallet.passTypeId.help')}
                    rules={[{ pattern: /^pass\.[A-Za-z0-9.-]{1,120}$/, message: t('wallet.passTypeId.help') }]}
                  >
                    <Input data-testid="wallet-pass-type-id" />
                  </Form.Item>
                </Col>
              </Row>
              <Typography.Paragraph type="secondary">{t('wallet.secretsNote')}</Typography.Paragraph>
              {canEdit ? (
                <Button type="primary" htmlType="submit" loading={busy} data-testid="wallet-save">
                  {t('wallet.save')}
                </Button>
              ) : null}
            </Form>
          </Card>
        </Col>
      </Row>
    </>
  );
}

interface GoogleForm {
  issuerId: string;
  serviceAccount: string;
}

/** Settings › Google Wallet: issuer id and service account key, its state and a locally verified save link. */
export function GoogleWalletPage() {
  const { t } = useI18n();
  const { message } = App.useApp();
  const { staff } = useMe();
  const canEdit = allows(ROLE_SETS.admins, staff.role);
  const status = useWalletStatus();
  const [form] = Form.useForm<GoogleForm>();
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string>();

  if (status.error) return <ErrorState error={status.error} onRetry={status.reload} />;
  if (!status.data) return <PageSpinner />;
  const g = status.data.google;

  const save = async (v: GoogleForm) => {
    setBusy(true);
    setProblem(undefined);
    try {
      await http.put('/v1/admin/wallet/google', { issuerId: v.issuerId.trim(), serviceAccount: v.serviceAccount });
      void message.success(t('wallet.google.saved'));
      form.resetFields();
      status.reload();
    } catch (e) {
      setProblem(placeProblem(form, e, t));
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <PageHeader title={t('wallet.google.title')} intro={t('wallet.google.intro')} />
      <Row gutter={16}>
        <Col xs={24} lg={12}>
          <Card title={t('wallet.state')} style={{ marginBottom: 16 }} data-testid="wallet-google-state">
            <Descriptions column={1} size="small" colon={false} styles={{ label: { width: 190 } }}>
              <Descriptions.Item label={t('common.status')}>
                <ConfiguredTag on={g.configured} hub={g.source === 'hub'} />
              </Descriptions.Item>
              {g.configured ? (
                <>
                  <Descriptions.Item label={t('wallet.issuerId')}>{g.issuerId}</Descriptions.Item>
                  <Descriptions.Item label={t('wallet.clientEmail')}>
                    <Typography.Text style={{ wordBreak: 'break-all' }}>{g.clientEmail}</Typography.Text>
                  </Descriptions.Item>
                  {g.privateKeyId ? <Descriptions.Item label={t('wallet.keyId')}>{g.privateKeyId}</Descriptions.Item> : null}
                  <Descriptions.Item label={t('wallet.fingerprint')}>
                    <Typography.Text code style={{ fontSize: 11, wordBreak: 'break-all' }}>
                      {g.keyFingerprint}
                    </Typography.Text>
                  </Descriptions.Item>
                </>
              ) : null}
            </Descriptions>
            <div style={{ marginTop: 16 }}>
              <TestPassButton platform="google" disabled={!g.configured || !canEdit} />
            </div>
          </Card>
        </Col>
        <Col xs={24} lg={12}>
          <Card title={t(g.source === 'business' ? 'wallet.upload.replace' : 'wallet.upload')} style={{ marginBottom: 16 }}>
            {!canEdit ? <Alert type="info" showIcon message={t('common.readOnly')} style={{ marginBottom: 16 }} /> : null}
            <ProblemAlert message={problem} onClose={() => setProblem(undefined)} />
            <Form<GoogleForm> form={form} layout="vertical" onFinish={save} disabled={!canEdit} requiredMark={false} name="google-wallet">
              <Form.Item
                name="issuerId"
                label={t('wallet.issuerId')}
                extra={t('wallet.issuerId.help')}
                rules={[
                  { required: true, message: t('validation.required') },
                  { pattern: /^\s*[0-9]{6,25}\s*$/, message: t('wallet.issuerId.help') },
                ]}
              >
                <Input inputMode="numeric" data-testid="wallet-issuer" />
              </Form.Item>
              <Form.Item
                name="serviceAccount"
                label={t('wallet.serviceAccount')}
                rules={[{ required: true, whitespace: true, message: t('validation.required') }]}
                extra={
                  <Space direction="vertical" size={4} style={{ marginTop: 4 }}>
                    <span>{t('wallet.serviceAccount.help')}</span>
                    <FileField
                      as="text"
                      accept=".json,application/json"
                      label={t('wallet.pem.pick')}
                      testId="wallet-sa-file"
                      onChange={(v) => form.setFieldValue('serviceAccount', v)}
                    />
                  </Space>
                }
              >
                <Input.TextArea rows={6} placeholder='{"type": "service_account", …}' data-testid="wallet-sa" spellCheck={false} />
              </Form.Item>
              <Typography.Paragraph type="secondary">{t('wallet.secretsNote')}</Typography.Paragraph>
              {canEdit ? (
                <Button type="primary" htmlType="submit" loading={busy} data-testid="wallet-save">
                  {t('wallet.google.save')}
                </Button>
              ) : null}
            </Form>
          </Card>
        </Col>
      </Row>
    </>
  );
}
