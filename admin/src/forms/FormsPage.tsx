import { useEffect, useState } from 'react';
import { App, Button, Card, Checkbox, Col, Drawer, Form, Input, Row, Segmented, Select, Space, Switch, Table, Tag, Typography } from 'antd';
import type { TableColumnsType } from 'antd';
import { DeleteOutlined, EditOutlined, LinkOutlined, PlusOutlined, QrcodeOutlined, TeamOutlined } from '@ant-design/icons';
import { Link } from 'react-router-dom';
import { http } from '../app/api';
import { useI18n } from '../app/i18n';
import { useMe } from '../app/session';
import { useLoad } from '../app/useLoad';
import { CursorPager, useCursorList } from '../app/cursor';
import { applyProblem } from '../app/problems';
import { ErrorState, PageHeader, ProblemAlert } from '../app/ui';
import { formatDateTime } from '../app/format';
import { usePrograms } from '../app/domain';
import { SmsPolicyCard } from './SmsPolicyCard';
import { QrDrawer } from './TableTent';

type Mode = 'required' | 'optional' | 'hidden';
const STANDARD = ['name', 'birthday', 'email', 'gender'] as const;

interface Variable {
  key: string;
  label: string;
  type: 'text' | 'number' | 'date' | 'select' | 'checkbox';
  required?: boolean;
  options?: string[];
}

interface RegForm {
  id: string;
  programId: string;
  slug: string;
  url: string;
  title: string;
  description: string | null;
  fields: Record<string, Mode>;
  variables: Variable[];
  consentText: string;
  marketingConsentText: string | null;
  smsVerification: boolean;
  active: boolean;
  createdAt: string;
}

interface Registration {
  id: string;
  guestId: string;
  cardId: string | null;
  existingGuest: boolean;
  utm: Record<string, string> | null;
  referralCode: string | null;
  consentAt: string;
  createdAt: string;
}

type FormValues = Omit<RegForm, 'id' | 'url' | 'createdAt'>;

/** How the guest will see the page: the fields asked, the variables, the consent. */
function Preview({ v }: { v: Partial<FormValues> }) {
  const { t } = useI18n();
  const { business } = useMe();
  const policy = business.settings.privacyPolicyUrl;
  const fields = v.fields ?? {};
  return (
    <div className="form-preview" data-testid="form-preview">
      <div className="form-preview-title">{v.title || t('forms.title.placeholder')}</div>
      {v.description ? <p className="muted">{v.description}</p> : null}
      <label>{t('common.phone')} *</label>
      <div className="form-preview-input">+7</div>
      {v.smsVerification ? (
        <>
          <label>{t('forms.preview.code')} *</label>
          <div className="form-preview-input">• • • •</div>
        </>
      ) : null}
      {STANDARD.filter((f) => fields[f] && fields[f] !== 'hidden').map((f) => (
        <div key={f}>
          <label>
            {t(`forms.field.${f}`)}
            {fields[f] === 'required' ? ' *' : ''}
          </label>
          <div className="form-preview-input" />
        </div>
      ))}
      {(v.variables ?? [])
        .filter((x) => x?.label)
        .map((x, i) =>
          x.type === 'checkbox' ? (
            <div key={i} style={{ margin: '8px 0' }}>
              <Checkbox disabled>{x.label}</Checkbox>
            </div>
          ) : (
            <div key={i}>
              <label>
                {x.label}
                {x.required ? ' *' : ''}
              </label>
              <div className="form-preview-input">{x.type === 'select' ? (x.options ?? []).join(' / ') : ''}</div>
            </div>
          ),
        )}
      <div className="form-preview-consent" data-testid="form-preview-consent">
        <Checkbox disabled checked />
        <span>
          {v.consentText}
          {policy ? (
            <>
              {' '}
              <a href={policy} target="_blank" rel="noreferrer">
                {t('forms.privacyPolicy')}
              </a>
            </>
          ) : null}
        </span>
      </div>
      {v.marketingConsentText ? (
        <div className="form-preview-consent">
          <Checkbox disabled />
          <span>{v.marketingConsentText}</span>
        </div>
      ) : null}
      <div className="form-preview-button">{t('forms.preview.submit')}</div>
    </div>
  );
}

function Editor({ form: existing, onClose, onDone }: { form?: RegForm; onClose: () => void; onDone: (f: RegForm) => void }) {
  const { t } = useI18n();
  const programs = usePrograms();
  const [form] = Form.useForm<FormValues>();
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string>();
  const watched = Form.useWatch([], form) as Partial<FormValues> | undefined;
  const { business } = useMe();
  // A business with one program: the form is for it, preselected.
  const active = (programs.data ?? []).filter((p) => p.active);
  const only = active.length === 1 ? active[0]!.id : undefined;
  useEffect(() => {
    if (!existing && only && !form.getFieldValue('programId')) form.setFieldValue('programId', only);
  }, [existing, only, form]);
  const initial: Partial<FormValues> = existing ?? {
    programId: only,
    slug: '',
    title: '',
    fields: { name: 'required', birthday: 'optional', email: 'hidden', gender: 'hidden' },
    variables: [],
    consentText: t('forms.consent.default'),
    smsVerification: true,
    active: true,
  };
  const submit = async (v: FormValues) => {
    setBusy(true);
    setProblem(undefined);
    const body = {
      ...v,
      description: v.description?.trim() || null,
      marketingConsentText: v.marketingConsentText?.trim() || null,
      variables: (v.variables ?? []).map((x) => ({ ...x, required: !!x.required, options: x.type === 'select' ? (x.options ?? []) : undefined })),
    };
    try {
      if (existing) {
        const { programId: _p, ...patch } = body;
        onDone(await http.patch<RegForm>(`/v1/admin/engagement/forms/${existing.id}`, patch));
      } else onDone(await http.post<RegForm>('/v1/admin/engagement/forms', body));
    } catch (e) {
      setProblem(applyProblem(form, e, t));
      setBusy(false);
    }
  };
  return (
    <Drawer
      open
      width={980}
      onClose={onClose}
      title={existing ? t('forms.edit') : t('forms.add')}
      extra={
        <Button type="primary" loading={busy} onClick={() => form.submit()} data-testid="form-save">
          {existing ? t('common.save') : t('common.create')}
        </Button>
      }
    >
      <Row gutter={24}>
        <Col xs={24} lg={15}>
          <ProblemAlert message={problem} />
          <Form<FormValues> form={form} layout="vertical" requiredMark={false} onFinish={submit} initialValues={initial} name="reg-form">
            <Row gutter={16}>
              <Col span={12}>
                <Form.Item name="programId" label={t('common.program')} rules={[{ required: true, message: t('validation.required') }]}>
                  <Select disabled={!!existing} loading={programs.loading} options={(programs.data ?? []).map((p) => ({ value: p.id, label: p.name }))} />
                </Form.Item>
              </Col>
              <Col span={12}>
                <Form.Item
                  name="slug"
                  label={t('forms.slug')}
                  rules={[
                    { required: true, message: t('validation.required') },
                    { pattern: /^[a-z0-9][a-z0-9-]{1,62}[a-z0-9]$/, message: t('forms.slug.help') },
                  ]}
                >
                  <Input addonBefore="/join/" placeholder="coffee-club" />
                </Form.Item>
              </Col>
              <Col span={24}>
                <Form.Item name="title" label={t('forms.titleField')} rules={[{ required: true, message: t('validation.required') }]}>
                  <Input maxLength={200} placeholder={t('forms.title.placeholder')} />
                </Form.Item>
              </Col>
              <Col span={24}>
                <Form.Item name="description" label={t('forms.description')}>
                  <Input.TextArea maxLength={2000} autoSize={{ minRows: 2, maxRows: 4 }} />
                </Form.Item>
              </Col>
            </Row>
            <Typography.Title level={5}>{t('forms.fields')}</Typography.Title>
            {STANDARD.map((f) => (
              <Form.Item key={f} name={['fields', f]} label={t(`forms.field.${f}`)} style={{ marginBottom: 12 }}>
                <Segmented
                  options={[
                    { value: 'required', label: t('forms.mode.required') },
                    { value: 'optional', label: t('forms.mode.optional') },
                    { value: 'hidden', label: t('forms.mode.hidden') },
                  ]}
                />
              </Form.Item>
            ))}
            <Typography.Title level={5}>{t('forms.variables')}</Typography.Title>
            <Typography.Paragraph type="secondary">{t('forms.variables.help')}</Typography.Paragraph>
            <Form.List name="variables">
              {(fields, { add, remove }) => (
                <>
                  {fields.map((f) => (
                    <Card key={f.key} size="small" style={{ marginBottom: 8 }}>
                      <Row gutter={8} align="middle">
                        <Col span={6}>
                          <Form.Item
                            name={[f.name, 'key']}
                            label={t('forms.var.key')}
                            rules={[{ required: true, message: t('validation.required') }]}
                            style={{ marginBottom: 8 }}
                          >
                            <Input placeholder="favourite_drink" />
                          </Form.Item>
                        </Col>
                        <Col span={8}>
                          <Form.Item
                            name={[f.name, 'label']}
                            label={t('forms.var.label')}
                            rules={[{ required: true, message: t('validation.required') }]}
                            style={{ marginBottom: 8 }}
                          >
                            <Input />
                          </Form.Item>
                        </Col>
                        <Col span={6}>
                          <Form.Item name={[f.name, 'type']} label={t('forms.var.type')} initialValue="text" style={{ marginBottom: 8 }}>
                            <Select
                              options={['text', 'number', 'date', 'select', 'checkbox'].map((x) => ({
                                value: x,
                                label: t(`forms.type.${x}` as 'forms.type.text'),
                              }))}
                            />
                          </Form.Item>
                        </Col>
                        <Col span={3}>
                          <Form.Item name={[f.name, 'required']} label={t('forms.mode.required')} valuePropName="checked" style={{ marginBottom: 8 }}>
                            <Switch size="small" />
                          </Form.Item>
                        </Col>
                        <Col span={1}>
                          <Button type="text" icon={<DeleteOutlined />} onClick={() => remove(f.name)} aria-label={t('common.remove')} />
                        </Col>
                        {watched?.variables?.[f.name]?.type === 'select' ? (
                          <Col span={24}>
                            <Form.Item name={[f.name, 'options']} label={t('forms.var.options')} style={{ marginBottom: 0 }}>
                              <Select mode="tags" open={false} suffixIcon={null} tokenSeparators={[';']} />
                            </Form.Item>
                          </Col>
                        ) : null}
                      </Row>
                    </Card>
                  ))}
                  <Button icon={<PlusOutlined />} onClick={() => add({ key: '', label: '', type: 'text', required: false })}>
                    {t('forms.var.add')}
                  </Button>
                </>
              )}
            </Form.List>
            <Typography.Title level={5} style={{ marginTop: 24 }}>
              {t('forms.consent')}
            </Typography.Title>
            <Form.Item
              name="consentText"
              label={t('forms.consentText')}
              rules={[{ required: true, min: 10, message: t('forms.consentText.help') }]}
              extra={
                business.settings.privacyPolicyUrl ? (
                  t('forms.privacyPolicy.linked')
                ) : (
                  <Link to="/settings/business">{t('forms.privacyPolicy.missing')}</Link>
                )
              }
            >
              <Input.TextArea maxLength={4000} autoSize={{ minRows: 2, maxRows: 5 }} />
            </Form.Item>
            <Form.Item name="marketingConsentText" label={t('forms.marketingText')} extra={t('forms.marketingText.help')}>
              <Input.TextArea maxLength={2000} autoSize={{ minRows: 1, maxRows: 4 }} />
            </Form.Item>
            <Space size="large">
              <Form.Item name="smsVerification" label={t('forms.sms')} valuePropName="checked" extra={t('forms.sms.help')}>
                <Switch />
              </Form.Item>
              <Form.Item name="active" label={t('forms.active')} valuePropName="checked">
                <Switch />
              </Form.Item>
            </Space>
          </Form>
        </Col>
        <Col xs={24} lg={9}>
          <Typography.Text strong>{t('forms.preview')}</Typography.Text>
          <Preview v={{ ...initial, ...(watched ?? {}) }} />
        </Col>
      </Row>
    </Drawer>
  );
}

function Registrations({ form, onClose }: { form: RegForm; onClose: () => void }) {
  const { t, lang } = useI18n();
  const { business } = useMe();
  const list = useCursorList<Registration>(`/v1/admin/engagement/forms/${form.id}/registrations`, {}, 20);
  return (
    <Drawer open onClose={onClose} width={760} title={t('forms.registrations.title', { title: form.title })}>
      {list.error ? (
        <ErrorState error={list.error} onRetry={list.reload} />
      ) : (
        <Table<Registration>
          rowKey="id"
          size="small"
          loading={list.loading}
          dataSource={list.data?.items ?? []}
          pagination={false}
          locale={{ emptyText: t('forms.registrations.empty') }}
          columns={[
            { title: t('common.when'), dataIndex: 'createdAt', key: 'when', render: (v: string) => formatDateTime(v, lang, business.timezone) },
            {
              title: t('forms.reg.guest'),
              key: 'guest',
              render: (_, r) => <Link to={`/clients/guests/${r.guestId}`}>{t(r.existingGuest ? 'forms.reg.existing' : 'forms.reg.new')}</Link>,
            },
            { title: 'UTM', key: 'utm', render: (_, r) => (r.utm ? Object.entries(r.utm).map(([k, v]) => <Tag key={k}>{`${k}=${v}`}</Tag>) : '—') },
            { title: t('forms.reg.referral'), dataIndex: 'referralCode', key: 'ref', render: (v: string | null) => v ?? '—' },
          ]}
        />
      )}
      <CursorPager list={list} />
    </Drawer>
  );
}

/** Forms: registration pages of a program (fields, variables, consent, SMS verification) and who registered. */
export function FormsPage() {
  const { t, lang } = useI18n();
  const { business } = useMe();
  const { message } = App.useApp();
  const programs = usePrograms();
  const { data, error, loading, reload } = useLoad((signal) => http.get<RegForm[]>('/v1/admin/engagement/forms', { signal }), []);
  const [editing, setEditing] = useState<RegForm | 'new'>();
  const [regs, setRegs] = useState<RegForm>();
  const [qr, setQr] = useState<RegForm>();
  const columns: TableColumnsType<RegForm> = [
    { title: t('forms.titleField'), key: 'title', render: (_, f) => <a onClick={() => setEditing(f)}>{f.title}</a> },
    { title: t('common.program'), key: 'program', render: (_, f) => programs.data?.find((p) => p.id === f.programId)?.name ?? '—' },
    {
      title: t('forms.url'),
      key: 'url',
      render: (_, f) => (
        <Typography.Text copyable={{ text: f.url }}>
          <a href={f.url} target="_blank" rel="noreferrer">
            <LinkOutlined /> /join/{f.slug}
          </a>
        </Typography.Text>
      ),
    },
    {
      title: t('forms.sms'),
      dataIndex: 'smsVerification',
      key: 'sms',
      render: (v: boolean) => (v ? <Tag color="blue">{t('common.yes')}</Tag> : <Tag>{t('common.no')}</Tag>),
    },
    {
      title: t('common.status'),
      dataIndex: 'active',
      key: 'active',
      render: (v: boolean) => (v ? <Tag color="green">{t('common.active')}</Tag> : <Tag>{t('common.inactive')}</Tag>),
    },
    { title: t('common.created'), dataIndex: 'createdAt', key: 'created', render: (v: string) => formatDateTime(v, lang, business.timezone) },
    {
      title: '',
      key: 'actions',
      align: 'right',
      render: (_, f) => (
        <Space>
          <Button size="small" icon={<QrcodeOutlined />} onClick={() => setQr(f)} data-testid="form-qr">
            {t('forms.qr')}
          </Button>
          <Button size="small" icon={<TeamOutlined />} onClick={() => setRegs(f)}>
            {t('forms.registrations')}
          </Button>
          <Button size="small" icon={<EditOutlined />} onClick={() => setEditing(f)} aria-label={t('common.edit')} />
        </Space>
      ),
    },
  ];
  return (
    <>
      <PageHeader
        title={t('forms.title')}
        intro={t('forms.intro')}
        extra={
          <Button type="primary" icon={<PlusOutlined />} onClick={() => setEditing('new')}>
            {t('forms.add')}
          </Button>
        }
      />
      {error ? (
        <ErrorState error={error} onRetry={reload} />
      ) : (
        <Card>
          <Table<RegForm>
            rowKey="id"
            columns={columns}
            dataSource={data ?? []}
            loading={loading}
            pagination={{ pageSize: 20, hideOnSinglePage: true }}
            locale={{ emptyText: t('forms.empty') }}
            data-testid="forms-table"
            scroll={{ x: 900 }}
          />
        </Card>
      )}
      {editing ? (
        <Editor
          form={editing === 'new' ? undefined : editing}
          onClose={() => setEditing(undefined)}
          onDone={(f) => {
            setEditing(undefined);
            reload();
            void message.success(t('forms.saved', { title: f.title }));
          }}
        />
      ) : null}
      <SmsPolicyCard />
      {regs ? <Registrations form={regs} onClose={() => setRegs(undefined)} /> : null}
      {qr ? <QrDrawer form={qr} onClose={() => setQr(undefined)} /> : null}
    </>
  );
}
