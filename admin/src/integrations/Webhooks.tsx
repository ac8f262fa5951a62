import { useState } from 'react';
import { Alert, App, Button, Card, Flex, Form, Input, InputNumber, Modal, Popconfirm, Select, Space, Switch, Table, Tag, Typography } from 'antd';
import type { TableColumnsType } from 'antd';
import { DeleteOutlined, KeyOutlined, PlusOutlined, ReloadOutlined, SendOutlined } from '@ant-design/icons';
import { http, withQuery } from '../app/api';
import { useI18n } from '../app/i18n';
import { useMe } from '../app/session';
import { useLoad } from '../app/useLoad';
import { applyProblem, problemMessage } from '../app/problems';
import { ErrorState, ProblemAlert } from '../app/ui';
import { formatDateTime } from '../app/format';
import type { Items } from '../app/types';
import type { Delivery, Endpoint } from './types';

const BASE = '/v1/admin/integrations/webhooks/endpoints';
const STATUS_COLOR: Record<string, string> = { pending: 'processing', sending: 'processing', succeeded: 'success', failed: 'error', canceled: 'default' };

function SecretModal({ endpoint, onClose }: { endpoint: Endpoint; onClose: () => void }) {
  const { t } = useI18n();
  return (
    <Modal
      open
      title={t('webhooks.secret.title')}
      onCancel={onClose}
      closable={false}
      maskClosable={false}
      footer={
        <Button type="primary" onClick={onClose}>
          {t('terminals.keySaved')}
        </Button>
      }
    >
      <Alert type="warning" showIcon message={t('webhooks.secret.warning')} style={{ marginBottom: 16 }} />
      <Typography.Paragraph
        copyable={{ text: endpoint.signingSecret, tooltips: [t('common.copy'), t('common.copied')] }}
        className="key-box"
        data-testid="webhook-secret"
      >
        {endpoint.signingSecret}
      </Typography.Paragraph>
    </Modal>
  );
}

function EndpointModal({ eventTypes, onClose, onDone }: { eventTypes: string[]; onClose: () => void; onDone: (e: Endpoint) => void }) {
  const { t } = useI18n();
  const [form] = Form.useForm<{ url: string; description?: string; eventTypes: string[]; disableAfterDays?: number }>();
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string>();
  const topics = [...new Set(eventTypes.map((e) => `${e.split('.')[0]}.*`))];
  return (
    <Modal
      open
      title={t('webhooks.add')}
      okText={t('common.add')}
      cancelText={t('common.cancel')}
      onOk={() => form.submit()}
      onCancel={onClose}
      confirmLoading={busy}
      destroyOnHidden
      width={600}
    >
      <ProblemAlert message={problem} />
      <Form
        form={form}
        layout="vertical"
        requiredMark={false}
        name="endpoint"
        initialValues={{ eventTypes: [], disableAfterDays: 5 }}
        onFinish={async (v) => {
          setBusy(true);
          setProblem(undefined);
          try {
            onDone(
              await http.post<Endpoint>(BASE, {
                url: v.url.trim(),
                description: v.description?.trim() || null,
                eventTypes: v.eventTypes,
                disableAfterDays: v.disableAfterDays,
              }),
            );
          } catch (e) {
            setProblem(applyProblem(form, e, t));
            setBusy(false);
          }
        }}
      >
        <Form.Item name="url" label={t('webhooks.url')} rules={[{ required: true, message: t('validation.required') }]}>
          <Input placeholder="https://example.com/loyalty/webhooks" autoFocus />
        </Form.Item>
        <Form.Item name="description" label={t('webhooks.description')}>
          <Input maxLength={500} />
        </Form.Item>
        <Form.Item name="eventTypes" label={t('webhooks.events')} extra={t('webhooks.events.help')}>
          <Select mode="tags" options={[...topics, ...eventTypes].map((e) => ({ value: e, label: e }))} placeholder={t('webhooks.events.all')} />
        </Form.Item>
        <Form.Item name="disableAfterDays" label={t('webhooks.disableAfter')}>
          <InputNumber min={1} max={30} precision={0} addonAfter={t('common.days')} />
        </Form.Item>
      </Form>
    </Modal>
  );
}

function Deliveries({ endpoint }: { endpoint: Endpoint }) {
  const { t, lang } = useI18n();
  const { business } = useMe();
  const { message } = App.useApp();
  const [status, setStatus] = useState<string>();
  const { data, error, loading, reload } = useLoad(
    (signal) => http.get<Items<Delivery>>(withQuery(`${BASE}/${endpoint.id}/deliveries`, { limit: 50, status }), { signal }),
    [endpoint.id, status],
  );
  const replay = async (d: Delivery) => {
    try {
      await http.post(`${BASE}/${endpoint.id}/deliveries/${d.id}/replay`, {});
      void message.success(t('webhooks.replayed'));
      reload();
    } catch (e) {
      void message.error(problemMessage(e, t));
    }
  };
  const columns: TableColumnsType<Delivery> = [
    { title: t('common.when'), dataIndex: 'createdAt', key: 'when', render: (v: string) => formatDateTime(v, lang, business.timezone) },
    { title: t('webhooks.event'), dataIndex: 'eventType', key: 'type', render: (v: string) => <Typography.Text code>{v}</Typography.Text> },
    {
      title: t('common.status'),
      dataIndex: 'status',
      key: 'status',
      render: (s: string) => <Tag color={STATUS_COLOR[s]}>{t(`webhooks.status.${s}` as 'webhooks.status.pending')}</Tag>,
    },
    { title: t('webhooks.attempts'), dataIndex: 'attempts', key: 'attempts', align: 'right' },
    {
      title: t('webhooks.code'),
      dataIndex: 'lastStatusCode',
      key: 'code',
      render: (v: number | null, d) =>
        v ??
        (d.lastError ? (
          <Typography.Text type="danger" ellipsis style={{ maxWidth: 200 }}>
            {d.lastError}
          </Typography.Text>
        ) : (
          '—'
        )),
    },
    {
      title: '',
      key: 'replay',
      align: 'right',
      render: (_, d) => (
        <Button size="small" icon={<SendOutlined />} onClick={() => void replay(d)} disabled={d.status === 'sending'}>
          {t('webhooks.replay')}
        </Button>
      ),
    },
  ];
  return (
    <Flex vertical gap={8} style={{ padding: 8 }} data-testid="deliveries">
      <Flex justify="space-between" gap={8}>
        <Select
          allowClear
          size="small"
          placeholder={t('webhooks.anyStatus')}
          value={status}
          onChange={setStatus}
          style={{ width: 180 }}
          options={['pending', 'succeeded', 'failed', 'canceled'].map((s) => ({ value: s, label: t(`webhooks.status.${s}` as 'webhooks.status.pending') }))}
        />
        <Button size="small" icon={<ReloadOutlined />} onClick={reload}>
          {t('common.refresh')}
        </Button>
      </Flex>
      {error ? (
        <ErrorState error={error} onRetry={reload} />
      ) : (
        <Table<Delivery>
          size="small"
          rowKey="id"
          loading={loading}
          columns={columns}
          dataSource={data?.items ?? []}
          pagination={{ pageSize: 10, hideOnSinglePage: true }}
          locale={{ emptyText: t('webhooks.deliveries.empty') }}
          data-testid="deliveries-table"
          expandable={{
            expandedRowRender: (d) => (
              <Table
                size="small"
                rowKey="attempt"
                pagination={false}
                dataSource={d.log}
                columns={[
                  { title: '#', dataIndex: 'attempt', key: 'n', width: 50 },
                  { title: t('common.when'), dataIndex: 'at', key: 'at', render: (v: string) => formatDateTime(v, lang, business.timezone) },
                  {
                    title: t('common.status'),
                    dataIndex: 'status',
                    key: 's',
                    render: (s: string) => <Tag color={STATUS_COLOR[s]}>{t(`webhooks.status.${s}` as 'webhooks.status.pending')}</Tag>,
                  },
                  { title: t('webhooks.code'), dataIndex: 'responseCode', key: 'c', render: (v: number | null) => v ?? '—' },
                  { title: t('webhooks.duration'), dataIndex: 'durationMs', key: 'd', render: (v: number) => `${v} ms` },
                  { title: t('webhooks.error'), dataIndex: 'error', key: 'e', render: (v: string | null) => v ?? '—' },
                ]}
              />
            ),
            rowExpandable: (d) => d.log.length > 0,
          }}
        />
      )}
    </Flex>
  );
}

/** Webhook endpoints of the webhooks connector: add, switch, rotate the secret, and each one's delivery log. */
export function Webhooks({ eventTypes }: { eventTypes: string[] }) {
  const { t, lang } = useI18n();
  const { business } = useMe();
  const { message } = App.useApp();
  const [adding, setAdding] = useState(false);
  const [secret, setSecret] = useState<Endpoint>();
  const { data, error, loading, reload, setData } = useLoad((signal) => http.get<Items<Endpoint>>(BASE, { signal }), []);
  const replace = (e: Endpoint) => setData((d) => ({ items: (d?.items ?? []).map((x) => (x.id === e.id ? e : x)) }));
  const run = async (fn: () => Promise<void>) => {
    try {
      await fn();
    } catch (e) {
      void message.error(problemMessage(e, t));
    }
  };
  const columns: TableColumnsType<Endpoint> = [
    {
      title: t('webhooks.url'),
      key: 'url',
      render: (_, e) => (
        <Flex vertical>
          <Typography.Text strong ellipsis style={{ maxWidth: 360 }}>
            {e.url}
          </Typography.Text>
          {e.description ? <Typography.Text type="secondary">{e.description}</Typography.Text> : null}
        </Flex>
      ),
    },
    {
      title: t('webhooks.events'),
      key: 'events',
      render: (_, e) =>
        e.eventTypes.length ? (
          <Space size={[4, 4]} wrap>
            {e.eventTypes.map((x) => (
              <Tag key={x}>{x}</Tag>
            ))}
          </Space>
        ) : (
          <span className="muted">{t('webhooks.events.all')}</span>
        ),
    },
    {
      title: t('webhooks.health'),
      key: 'health',
      render: (_, e) =>
        e.disabledReason ? (
          <Tag color="red">{t('webhooks.disabledBy', { reason: e.disabledReason })}</Tag>
        ) : e.failingSince ? (
          <Tag color="orange">{t('webhooks.failingSince', { when: formatDateTime(e.failingSince, lang, business.timezone) })}</Tag>
        ) : e.lastSuccessAt ? (
          <Tag color="green">{t('webhooks.ok', { when: formatDateTime(e.lastSuccessAt, lang, business.timezone) })}</Tag>
        ) : (
          <span className="muted">{t('webhooks.noDeliveries')}</span>
        ),
    },
    {
      title: t('common.enabled'),
      key: 'enabled',
      render: (_, e) => (
        <Switch
          size="small"
          checked={e.enabled}
          onChange={(on) => void run(async () => replace(await http.patch<Endpoint>(`${BASE}/${e.id}`, { enabled: on })))}
          aria-label={e.url}
        />
      ),
    },
    {
      title: '',
      key: 'actions',
      align: 'right',
      render: (_, e) => (
        <Space>
          <Popconfirm
            title={t('webhooks.rotate.confirm')}
            okText={t('webhooks.rotate')}
            cancelText={t('common.cancel')}
            onConfirm={() => run(async () => setSecret(await http.post<Endpoint>(`${BASE}/${e.id}/rotate-secret`, {})))}
          >
            <Button size="small" icon={<KeyOutlined />}>
              {t('webhooks.rotate')}
            </Button>
          </Popconfirm>
          <Popconfirm
            title={t('webhooks.delete.confirm')}
            okText={t('common.delete')}
            okButtonProps={{ danger: true }}
            cancelText={t('common.cancel')}
            onConfirm={() =>
              run(async () => {
                await http.delete(`${BASE}/${e.id}`);
                setData((d) => ({ items: (d?.items ?? []).filter((x) => x.id !== e.id) }));
              })
            }
          >
            <Button size="small" danger icon={<DeleteOutlined />} aria-label={t('common.delete')} />
          </Popconfirm>
        </Space>
      ),
    },
  ];
  return (
    <Card
      title={t('webhooks.title')}
      extra={
        <Button type="primary" icon={<PlusOutlined />} onClick={() => setAdding(true)}>
          {t('webhooks.add')}
        </Button>
      }
      data-testid="webhooks"
    >
      <Typography.Paragraph type="secondary">{t('webhooks.intro')}</Typography.Paragraph>
      {error ? (
        <ErrorState error={error} onRetry={reload} />
      ) : (
        <Table<Endpoint>
          rowKey="id"
          columns={columns}
          dataSource={data?.items ?? []}
          loading={loading}
          pagination={false}
          locale={{ emptyText: t('webhooks.empty') }}
          expandable={{ expandedRowRender: (e) => <Deliveries endpoint={e} /> }}
          data-testid="endpoints-table"
          scroll={{ x: 900 }}
        />
      )}
      {adding ? (
        <EndpointModal
          eventTypes={eventTypes}
          onClose={() => setAdding(false)}
          onDone={(e) => {
            setAdding(false);
            setData((d) => ({ items: [...(d?.items ?? []), e] }));
            setSecret(e);
          }}
        />
      ) : null}
      {secret ? <SecretModal endpoint={secret} onClose={() => setSecret(undefined)} /> : null}
    </Card>
  );
}
