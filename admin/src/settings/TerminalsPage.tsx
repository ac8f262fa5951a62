import { useMemo, useState } from 'react';
import { Alert, App, Button, Card, Checkbox, Form, Input, Modal, Popconfirm, Select, Space, Table, Tag, Typography } from 'antd';
import type { TableColumnsType } from 'antd';
import { CheckOutlined, CopyOutlined, PlusOutlined, StopOutlined } from '@ant-design/icons';
import { http } from '../app/api';
import { useI18n } from '../app/i18n';
import { useMe } from '../app/session';
import { useLoad } from '../app/useLoad';
import { applyProblem, problemMessage } from '../app/problems';
import { ErrorState, PageHeader, ProblemAlert } from '../app/ui';
import { formatDateTime } from '../app/format';
import { Items, Location, Terminal, TerminalCreated, TERMINAL_SCOPES, TerminalScope } from '../app/types';
import type { MessageKey } from '../app/messages';

interface TerminalForm {
  name: string;
  locationId?: string | null;
  scopes: TerminalScope[];
}

const scopeKey = (s: string) => `terminals.scope.${s}` as MessageKey;

function CreateTerminalModal({ locations, onClose, onCreated }: { locations: Location[]; onClose: () => void; onCreated: (t: TerminalCreated) => void }) {
  const { t } = useI18n();
  const [form] = Form.useForm<TerminalForm>();
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string>();

  const submit = async (v: TerminalForm) => {
    setBusy(true);
    setProblem(undefined);
    try {
      onCreated(await http.post<TerminalCreated>('/v1/admin/terminals', { name: v.name, locationId: v.locationId ?? null, scopes: v.scopes }));
    } catch (e) {
      setProblem(applyProblem(form, e, t));
      setBusy(false);
    }
  };

  return (
    <Modal
      open
      title={t('terminals.add')}
      okText={t('common.create')}
      cancelText={t('common.cancel')}
      onOk={() => form.submit()}
      onCancel={onClose}
      confirmLoading={busy}
      width={520}
    >
      <ProblemAlert message={problem} />
      <Form<TerminalForm>
        form={form}
        layout="vertical"
        requiredMark={false}
        initialValues={{ name: '', locationId: null, scopes: ['pos', 'pos:refund'] }}
        onFinish={submit}
        name="terminal"
      >
        <Form.Item name="name" label={t('terminals.name')} rules={[{ required: true, whitespace: true, message: t('validation.required') }]}>
          <Input maxLength={200} placeholder={t('terminals.name.placeholder')} autoFocus />
        </Form.Item>
        <Form.Item name="locationId" label={t('terminals.location')}>
          <Select
            allowClear
            placeholder={t('terminals.location.any')}
            options={locations.filter((l) => l.active).map((l) => ({ value: l.id, label: l.name }))}
          />
        </Form.Item>
        <Form.Item name="scopes" label={t('terminals.scopes')} rules={[{ required: true, type: 'array', min: 1, message: t('validation.scopes') }]}>
          <Checkbox.Group options={TERMINAL_SCOPES.map((s) => ({ value: s, label: t(scopeKey(s)) }))} />
        </Form.Item>
      </Form>
    </Modal>
  );
}

/** The API key, once: the hub keeps only its hash. */
function KeyModal({ created, onClose }: { created: TerminalCreated; onClose: () => void }) {
  const { t } = useI18n();
  return (
    <Modal
      open
      title={t('terminals.keyTitle', { name: created.name })}
      onCancel={onClose}
      maskClosable={false}
      keyboard={false}
      footer={
        <Button type="primary" onClick={onClose}>
          {t('terminals.keySaved')}
        </Button>
      }
      width={560}
      data-testid="key-modal"
    >
      <Alert type="warning" showIcon message={t('terminals.keyWarning')} style={{ marginBottom: 16 }} />
      <Typography.Text strong>{t('terminals.keyLabel')}</Typography.Text>
      <Typography.Paragraph
        className="key-box"
        data-testid="terminal-key"
        copyable={{
          text: created.key,
          icon: [
            <Space key="copy" size={4}>
              <CopyOutlined />
              {t('common.copy')}
            </Space>,
            <Space key="copied" size={4}>
              <CheckOutlined />
              {t('common.copied')}
            </Space>,
          ],
          tooltips: false,
        }}
      >
        {created.key}
      </Typography.Paragraph>
    </Modal>
  );
}

/** Settings › Terminals: keys for tills, POS integrations and the web scanner. */
export function TerminalsPage() {
  const { t, lang } = useI18n();
  const { message } = App.useApp();
  const { business } = useMe();
  const [creating, setCreating] = useState(false);
  const [created, setCreated] = useState<TerminalCreated>();
  const { data, error, loading, reload, setData } = useLoad(async (signal) => {
    const [terminals, locations] = await Promise.all([
      http.get<Items<Terminal>>('/v1/admin/terminals', { signal }),
      http.get<Items<Location>>('/v1/admin/locations', { signal }),
    ]);
    return { terminals: terminals.items, locations: locations.items };
  }, []);
  const locationName = useMemo(() => new Map((data?.locations ?? []).map((l) => [l.id, l.name])), [data]);

  const revoke = async (term: Terminal) => {
    try {
      const revoked = await http.post<Terminal>(`/v1/admin/terminals/${term.id}/revoke`);
      setData((d) => d && { ...d, terminals: d.terminals.map((x) => (x.id === revoked.id ? revoked : x)) });
      void message.success(t('terminals.revoke.done', { name: term.name }));
    } catch (e) {
      void message.error(problemMessage(e, t));
    }
  };

  const columns: TableColumnsType<Terminal> = [
    { title: t('terminals.name'), dataIndex: 'name', key: 'name', width: 180, render: (v: string) => <Typography.Text strong>{v}</Typography.Text> },
    {
      title: t('terminals.location'),
      dataIndex: 'locationId',
      key: 'location',
      render: (id: string | null) => (id ? (locationName.get(id) ?? '—') : <span className="muted">{t('terminals.location.any')}</span>),
    },
    {
      title: t('terminals.key'),
      dataIndex: 'keyPrefix',
      key: 'key',
      render: (p: string) => <Typography.Text code style={{ whiteSpace: 'nowrap' }}>{`${p}_…`}</Typography.Text>,
    },
    {
      title: t('terminals.scopes'),
      dataIndex: 'scopes',
      key: 'scopes',
      render: (scopes: string[]) => (
        <Space size={[4, 4]} wrap>
          {scopes.map((s) => (
            <Tag key={s} bordered={false} color="purple">
              {(TERMINAL_SCOPES as readonly string[]).includes(s) ? t(scopeKey(s)) : s}
            </Tag>
          ))}
        </Space>
      ),
    },
    {
      title: t('common.status'),
      key: 'status',
      render: (_, x) =>
        x.revokedAt ? (
          <Tag color="red" title={formatDateTime(x.revokedAt, lang, business.timezone)}>
            {t('terminals.revoked')}
          </Tag>
        ) : (
          <Tag color="green">{t('common.active')}</Tag>
        ),
    },
    {
      title: t('terminals.lastUsed'),
      dataIndex: 'lastUsedAt',
      key: 'lastUsed',
      render: (v: string | null) => (v ? formatDateTime(v, lang, business.timezone) : <span className="muted">{t('common.never')}</span>),
    },
    {
      title: '',
      key: 'actions',
      align: 'right',
      width: 130,
      render: (_, x) =>
        x.revokedAt ? null : (
          <Popconfirm
            title={t('terminals.revoke.confirm', { name: x.name })}
            description={<div style={{ maxWidth: 280 }}>{t('terminals.revoke.text')}</div>}
            okText={t('terminals.revoke')}
            okButtonProps={{ danger: true }}
            cancelText={t('common.cancel')}
            onConfirm={() => revoke(x)}
          >
            <Button size="small" danger icon={<StopOutlined />}>
              {t('terminals.revoke')}
            </Button>
          </Popconfirm>
        ),
    },
  ];

  return (
    <>
      <PageHeader
        title={t('terminals.title')}
        intro={t('terminals.intro')}
        extra={
          <Button type="primary" icon={<PlusOutlined />} onClick={() => setCreating(true)} disabled={!data}>
            {t('terminals.add')}
          </Button>
        }
      />
      {error ? (
        <ErrorState error={error} onRetry={reload} />
      ) : (
        <Card>
          <Table<Terminal>
            rowKey="id"
            columns={columns}
            dataSource={data?.terminals ?? []}
            loading={loading}
            pagination={{ defaultPageSize: 10, showSizeChanger: true }}
            locale={{ emptyText: t('terminals.empty') }}
            rowClassName={(x) => (x.revokedAt ? 'row-muted' : '')}
            data-testid="terminals-table"
          />
        </Card>
      )}
      {creating && data ? (
        <CreateTerminalModal
          locations={data.locations}
          onClose={() => setCreating(false)}
          onCreated={(c) => {
            setCreating(false);
            setCreated(c);
            const { key: _key, ...terminal } = c;
            setData((d) => d && { ...d, terminals: [...d.terminals, terminal] });
          }}
        />
      ) : null}
      {created ? <KeyModal created={created} onClose={() => setCreated(undefined)} /> : null}
    </>
  );
}
