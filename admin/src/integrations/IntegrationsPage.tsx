import { useState } from 'react';
import { Alert, App, Badge, Button, Card, Col, Drawer, Empty, Flex, Form, Modal, Popconfirm, Row, Space, Switch, Table, Tag, Typography } from 'antd';
import {
  ApiOutlined,
  CheckCircleOutlined,
  CloseCircleOutlined,
  DeleteOutlined,
  InboxOutlined,
  PlusOutlined,
  SendOutlined,
  SettingOutlined,
  ThunderboltOutlined,
} from '@ant-design/icons';
import { http } from '../app/api';
import { useI18n } from '../app/i18n';
import { useMe } from '../app/session';
import { useLoad } from '../app/useLoad';
import { applyProblem, problemMessage } from '../app/problems';
import { ErrorState, PageHeader, PageSpinner, ProblemAlert } from '../app/ui';
import { formatDateTime } from '../app/format';
import type { Items } from '../app/types';
import type { CatalogEntry, Installation, Parked } from './types';
import { ConfigFields, InboundUrls, initialConfig } from './ConfigForm';
import { Webhooks } from './Webhooks';

interface Check {
  ok: boolean;
  detail?: string;
  error?: string;
}

/** Install a connector, or change an installed one's settings; "test" tries the settings before saving. */
function ConfigModal({
  entry,
  installed,
  onClose,
  onDone,
}: {
  entry: CatalogEntry;
  installed?: Installation;
  onClose: () => void;
  onDone: (i: Installation) => void;
}) {
  const { t } = useI18n();
  const [form] = Form.useForm<{ config: Record<string, unknown> }>();
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string>();
  const [check, setCheck] = useState<Check>();
  const hasFields = Object.keys(entry.configSchema.properties ?? {}).length > 0;
  const save = async (v: { config?: Record<string, unknown> }) => {
    setBusy(true);
    setProblem(undefined);
    try {
      const config = v.config ?? {};
      onDone(
        installed
          ? await http.patch<Installation>(`/v1/admin/integrations/${entry.id}`, { config })
          : await http.post<Installation>('/v1/admin/integrations', { connectorId: entry.id, config }),
      );
    } catch (e) {
      setProblem(applyProblem(form, e, t));
      setBusy(false);
    }
  };
  return (
    <Modal
      open
      title={installed ? t('integrations.settings', { name: entry.name }) : t('integrations.install.title', { name: entry.name })}
      onCancel={onClose}
      destroyOnHidden
      width={560}
      footer={
        <Space>
          {installed && entry.hasCheck ? (
            <Button
              icon={<ThunderboltOutlined />}
              onClick={async () => {
                setCheck(undefined);
                try {
                  setCheck(await http.post<Check>(`/v1/admin/integrations/${entry.id}/test`, { config: form.getFieldValue('config') ?? {} }));
                } catch (e) {
                  setCheck({ ok: false, error: problemMessage(e, t) });
                }
              }}
            >
              {t('integrations.test')}
            </Button>
          ) : null}
          <Button onClick={onClose}>{t('common.cancel')}</Button>
          <Button type="primary" loading={busy} onClick={() => form.submit()} data-testid="integration-save">
            {installed ? t('common.save') : t('integrations.install')}
          </Button>
        </Space>
      }
    >
      {/* The connector's own words, as its author wrote them (manifests are in English). */}
      <Typography.Paragraph type="secondary" lang="en">
        {entry.description}
      </Typography.Paragraph>
      <InboundUrls name={entry.name} routes={installed?.inbound ?? []} />
      <ProblemAlert message={problem} />
      {check ? (
        <Alert
          type={check.ok ? 'success' : 'error'}
          showIcon
          message={check.ok ? (check.detail ?? t('integrations.test.ok')) : (check.error ?? t('integrations.test.failed'))}
          style={{ marginBottom: 16 }}
        />
      ) : null}
      <Form
        form={form}
        layout="vertical"
        requiredMark={false}
        onFinish={save}
        name="connector"
        initialValues={{ config: initialConfig(entry.configSchema, installed?.config) }}
      >
        {hasFields ? (
          <ConfigFields schema={entry.configSchema} secretFields={entry.secretFields} editing={!!installed} />
        ) : (
          <Typography.Text type="secondary">{t('integrations.noSettings')}</Typography.Text>
        )}
      </Form>
    </Modal>
  );
}

function ParkedDrawer({ installation, onClose }: { installation: Installation; onClose: () => void }) {
  const { t, lang } = useI18n();
  const { business } = useMe();
  const { message } = App.useApp();
  const { data, error, loading, reload } = useLoad(
    (signal) => http.get<Items<Parked>>(`/v1/admin/integrations/${installation.connectorId}/parked`, { signal }),
    [installation.connectorId],
  );
  return (
    <Drawer open onClose={onClose} width={720} title={t('integrations.parked.title', { name: installation.name })}>
      <Typography.Paragraph type="secondary">{t('integrations.parked.intro')}</Typography.Paragraph>
      {error ? (
        <ErrorState error={error} onRetry={reload} />
      ) : (
        <Table<Parked>
          rowKey="messageId"
          size="small"
          loading={loading}
          dataSource={data?.items ?? []}
          pagination={{ pageSize: 20, hideOnSinglePage: true }}
          locale={{ emptyText: t('integrations.parked.empty') }}
          expandable={{ expandedRowRender: (p) => <pre className="diff-value">{JSON.stringify(p.data, null, 2)}</pre> }}
          columns={[
            { title: t('integrations.parked.at'), dataIndex: 'parkedAt', key: 'at', render: (v: string) => formatDateTime(v, lang, business.timezone) },
            { title: t('webhooks.event'), dataIndex: 'type', key: 'type', render: (v: string) => <Typography.Text code>{v}</Typography.Text> },
            { title: t('webhooks.attempts'), dataIndex: 'attempts', key: 'attempts', align: 'right' },
            { title: t('webhooks.error'), dataIndex: 'error', key: 'error', render: (v: string) => <Typography.Text type="danger">{v}</Typography.Text> },
            {
              title: '',
              key: 'replay',
              render: (_, p) => (
                <Button
                  size="small"
                  icon={<SendOutlined />}
                  onClick={async () => {
                    try {
                      await http.post(`/v1/admin/integrations/${installation.connectorId}/parked/${encodeURIComponent(p.messageId)}/replay`, {});
                      void message.success(t('webhooks.replayed'));
                      reload();
                    } catch (e) {
                      void message.error(problemMessage(e, t));
                    }
                  }}
                >
                  {t('webhooks.replay')}
                </Button>
              ),
            },
          ]}
        />
      )}
    </Drawer>
  );
}

/** Integrations: the connector catalog, installed connectors (settings, test, parked messages) and webhook endpoints. */
export function IntegrationsPage() {
  const { t, lang } = useI18n();
  const { business } = useMe();
  const { message } = App.useApp();
  const catalog = useLoad((signal) => http.get<Items<CatalogEntry>>('/v1/admin/integrations/catalog', { signal }), []);
  const installed = useLoad((signal) => http.get<Items<Installation>>('/v1/admin/integrations', { signal }), []);
  const [configuring, setConfiguring] = useState<{ entry: CatalogEntry; installed?: Installation }>();
  const [parked, setParked] = useState<Installation>();
  const [checks, setChecks] = useState<Record<string, Check | 'busy'>>({});

  if (catalog.error || installed.error) return <ErrorState error={catalog.error ?? installed.error} onRetry={() => (catalog.reload(), installed.reload())} />;
  if (!catalog.data || !installed.data) return <PageSpinner />;
  const entries = catalog.data.items;
  const installs = installed.data.items;
  const entryOf = (id: string) => entries.find((e) => e.id === id);
  const available = entries.filter((e) => !installs.some((i) => i.connectorId === e.id));
  const webhooks = installs.find((i) => i.connectorId === 'webhooks');

  const reloadAll = () => {
    catalog.reload();
    installed.reload();
  };
  const run = async (fn: () => Promise<unknown>, ok?: string) => {
    try {
      await fn();
      if (ok) void message.success(ok);
      reloadAll();
    } catch (e) {
      void message.error(problemMessage(e, t));
    }
  };
  const test = async (i: Installation) => {
    setChecks((c) => ({ ...c, [i.connectorId]: 'busy' }));
    try {
      const r = await http.post<Check>(`/v1/admin/integrations/${i.connectorId}/test`, {});
      setChecks((c) => ({ ...c, [i.connectorId]: r }));
    } catch (e) {
      setChecks((c) => ({ ...c, [i.connectorId]: { ok: false, error: problemMessage(e, t) } }));
    }
  };

  return (
    <>
      <PageHeader title={t('integrations.title')} intro={t('integrations.intro')} />
      <Typography.Title level={5}>{t('integrations.installed')}</Typography.Title>
      {installs.length === 0 ? (
        <Card style={{ marginBottom: 24 }}>
          <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('integrations.installed.empty')} />
        </Card>
      ) : (
        <Row gutter={[16, 16]} style={{ marginBottom: 24 }}>
          {installs.map((i) => {
            const entry = entryOf(i.connectorId);
            const check = checks[i.connectorId];
            return (
              <Col xs={24} md={12} key={i.connectorId}>
                <Card
                  data-testid={`installed-${i.connectorId}`}
                  title={
                    <Space>
                      <Badge status={!i.enabled ? 'default' : i.lastErrorAt && (!i.lastSuccessAt || i.lastErrorAt > i.lastSuccessAt) ? 'error' : 'success'} />
                      {i.name}
                      <Tag>{t(`integrations.cat.${i.category}` as 'integrations.cat.pos')}</Tag>
                    </Space>
                  }
                  extra={
                    <Switch
                      checked={i.enabled}
                      onChange={(on) => void run(() => http.patch(`/v1/admin/integrations/${i.connectorId}`, { enabled: on }))}
                      aria-label={t('common.enabled')}
                    />
                  }
                  actions={[
                    <Button
                      key="settings"
                      type="text"
                      icon={<SettingOutlined />}
                      disabled={!entry}
                      onClick={() => entry && setConfiguring({ entry, installed: i })}
                    >
                      {t('integrations.settingsShort')}
                    </Button>,
                    ...(entry?.hasCheck
                      ? [
                          <Button key="test" type="text" icon={<ThunderboltOutlined />} loading={check === 'busy'} onClick={() => void test(i)}>
                            {t('integrations.test')}
                          </Button>,
                        ]
                      : []),
                    <Button key="parked" type="text" icon={<InboxOutlined />} onClick={() => setParked(i)}>
                      {t('integrations.parked')}
                    </Button>,
                    <Popconfirm
                      key="remove"
                      title={t('integrations.uninstall.confirm', { name: i.name })}
                      okText={t('integrations.uninstall')}
                      okButtonProps={{ danger: true }}
                      cancelText={t('common.cancel')}
                      onConfirm={() => run(() => http.delete(`/v1/admin/integrations/${i.connectorId}`), t('integrations.uninstalled'))}
                    >
                      <Button type="text" danger icon={<DeleteOutlined />}>
                        {t('integrations.uninstall')}
                      </Button>
                    </Popconfirm>,
                  ]}
                >
                  <Flex vertical gap={4}>
                    <Typography.Text type="secondary" lang="en">
                      {entry?.description}
                    </Typography.Text>
                    <span>
                      {t('integrations.lastSuccess')}: {i.lastSuccessAt ? formatDateTime(i.lastSuccessAt, lang, business.timezone) : t('common.never')}
                    </span>
                    {i.lastError ? <Typography.Text type="danger">{t('integrations.lastError', { error: i.lastError })}</Typography.Text> : null}
                    <InboundUrls name={i.name} routes={i.inbound ?? []} />
                    {check && check !== 'busy' ? (
                      <Alert
                        type={check.ok ? 'success' : 'error'}
                        showIcon
                        icon={check.ok ? <CheckCircleOutlined /> : <CloseCircleOutlined />}
                        message={check.ok ? (check.detail ?? t('integrations.test.ok')) : (check.error ?? t('integrations.test.failed'))}
                        style={{ marginTop: 8 }}
                      />
                    ) : null}
                  </Flex>
                </Card>
              </Col>
            );
          })}
        </Row>
      )}
      {webhooks ? (
        <div style={{ marginBottom: 24 }}>
          <Webhooks eventTypes={entryOf('webhooks')?.consumes ?? []} />
        </div>
      ) : null}
      <Typography.Title level={5}>{t('integrations.catalog')}</Typography.Title>
      {available.length === 0 ? (
        <Card>
          <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('integrations.catalog.empty')} />
        </Card>
      ) : (
        <Row gutter={[16, 16]}>
          {available.map((e) => (
            <Col xs={24} md={12} lg={8} key={e.id}>
              <Card data-testid={`catalog-${e.id}`} style={{ height: '100%' }}>
                <Card.Meta
                  avatar={<ApiOutlined style={{ fontSize: 24, color: '#5b47e0' }} />}
                  title={
                    <Space>
                      {e.name}
                      <Tag>{t(`integrations.cat.${e.category}` as 'integrations.cat.pos')}</Tag>
                    </Space>
                  }
                  description={<span lang="en">{e.description}</span>}
                />
                <Flex justify="space-between" align="center" style={{ marginTop: 16 }}>
                  <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                    v{e.version}
                  </Typography.Text>
                  <Button type="primary" icon={<PlusOutlined />} onClick={() => setConfiguring({ entry: e })}>
                    {t('integrations.install')}
                  </Button>
                </Flex>
              </Card>
            </Col>
          ))}
        </Row>
      )}
      {configuring ? (
        <ConfigModal
          entry={configuring.entry}
          installed={configuring.installed}
          onClose={() => setConfiguring(undefined)}
          onDone={(i) => {
            setConfiguring(undefined);
            reloadAll();
            void message.success(t(configuring.installed ? 'common.saved' : 'integrations.installed.done', { name: i.name }));
          }}
        />
      ) : null}
      {parked ? <ParkedDrawer installation={parked} onClose={() => setParked(undefined)} /> : null}
    </>
  );
}
