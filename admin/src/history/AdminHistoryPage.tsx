import { actorKindKey } from '../app/actor';
import { useEffect, useMemo, useState } from 'react';
import { useSearchParams } from 'react-router-dom';
import { Button, Card, Flex, Input, Select, Space, Table, Typography } from 'antd';
import type { TableColumnsType } from 'antd';
import { LeftOutlined, ReloadOutlined, RightOutlined } from '@ant-design/icons';
import { http, withQuery } from '../app/api';
import { useI18n } from '../app/i18n';
import type { Translate } from '../app/i18n';
import { useMe } from '../app/session';
import { useLoad } from '../app/useLoad';
import { ErrorState, PageHeader } from '../app/ui';
import { formatDateTime } from '../app/format';
import { en } from '../app/messages';
import type { MessageKey } from '../app/messages';
import type { AuditEntry, AuditPage } from '../app/types';

const KNOWN_ACTIONS = Object.keys(en)
  .filter((k) => k.startsWith('audit.act.'))
  .map((k) => k.slice('audit.act.'.length));
const TARGET_TYPES = [
  'business',
  'location',
  'terminal',
  'staff',
  'guest',
  'card',
  'program',
  'coupon',
  'blacklist',
  'import',
  'checkout',
  'integration',
  'webhook_endpoint',
  'form',
];
const PAGE_SIZES = [10, 20, 50, 100];

const has = (key: string): key is MessageKey => key in en;
const actionLabel = (a: string, t: Translate) => (has(`audit.act.${a}`) ? t(`audit.act.${a}` as MessageKey) : a);
const targetLabel = (x: string, t: Translate) => (has(`audit.target.${x}`) ? t(`audit.target.${x}` as MessageKey) : x);
const actorTypeLabel = (x: string, t: Translate) => (has(`audit.actorType.${x}`) ? t(`audit.actorType.${x}` as MessageKey) : x);

function show(v: unknown): string {
  if (v === undefined) return '—';
  if (typeof v === 'string') return v;
  return JSON.stringify(v, null, 1);
}

/** Before/after of one entry as field rows, changed fields only when both sides are known. */
function Changes({ entry }: { entry: AuditEntry }) {
  const { t } = useI18n();
  const isObj = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);
  const before = isObj(entry.before) ? entry.before : undefined;
  const after = isObj(entry.after) ? entry.after : undefined;
  if (!before && !after) return <Typography.Text type="secondary">{t('audit.noChanges')}</Typography.Text>;
  const keys = [...new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})])];
  const rows = keys
    .filter((k) => !before || !after || JSON.stringify(before[k]) !== JSON.stringify(after[k]))
    .map((k) => ({ key: k, before: before ? show(before[k]) : '—', after: after ? show(after[k]) : '—' }));
  return (
    <Table
      className="diff-table"
      size="small"
      pagination={false}
      rowKey="key"
      dataSource={rows}
      locale={{ emptyText: t('audit.noChanges') }}
      columns={[
        { title: t('audit.field'), dataIndex: 'key', width: 220, render: (k: string) => <Typography.Text code>{k}</Typography.Text> },
        ...(before ? [{ title: t('audit.before'), dataIndex: 'before', render: (v: string) => <span className="diff-value">{v}</span> }] : []),
        ...(after ? [{ title: t('audit.after'), dataIndex: 'after', render: (v: string) => <span className="diff-value">{v}</span> }] : []),
      ]}
    />
  );
}

/** History › Administrator: the audit trail, newest first, with cursor pages and filters kept in the URL. */
export function AdminHistoryPage() {
  const { t, lang } = useI18n();
  const { business } = useMe();
  const [params, setParams] = useSearchParams();
  const action = params.get('action') ?? undefined;
  const targetType = params.get('targetType') ?? undefined;
  const targetId = params.get('targetId') ?? undefined;
  const limit = PAGE_SIZES.includes(Number(params.get('limit'))) ? Number(params.get('limit')) : 20;
  const [targetIdDraft, setTargetIdDraft] = useState(targetId ?? '');
  // cursors[i] opens page i (page 0 has none); a filter change starts again from page 0.
  const filterKey = `${action}|${targetType}|${targetId}|${limit}`;
  const [pager, setPager] = useState<{ key: string; cursors: (string | undefined)[] }>({ key: filterKey, cursors: [undefined] });
  const cursors = pager.key === filterKey ? pager.cursors : [undefined];
  const pageIndex = cursors.length - 1;
  const cursor = cursors[pageIndex];

  useEffect(() => setTargetIdDraft(targetId ?? ''), [targetId]);

  const { data, error, loading, reload } = useLoad(
    (signal) => http.get<AuditPage>(withQuery('/v1/admin/audit', { limit, cursor, action, targetType, targetId }), { signal }),
    [filterKey, cursor],
  );

  const setFilter = (key: string, value: string | undefined) => {
    const next = new URLSearchParams(params);
    if (value) next.set(key, value);
    else next.delete(key);
    setParams(next, { replace: true });
  };

  const actionOptions = useMemo(() => {
    const seen = new Set([...KNOWN_ACTIONS, ...(data?.items.map((i) => i.action) ?? []), ...(action ? [action] : [])]);
    return [...seen].map((a) => ({ value: a, label: actionLabel(a, t), code: a }));
  }, [data, action, t]);

  const filtered = !!(action || targetType || targetId);

  const columns: TableColumnsType<AuditEntry> = [
    {
      title: t('audit.time'),
      dataIndex: 'createdAt',
      key: 'time',
      width: 190,
      render: (v: string) => <span style={{ whiteSpace: 'nowrap' }}>{formatDateTime(v, lang, business.timezone)}</span>,
    },
    {
      title: t('audit.actor'),
      key: 'actor',
      render: (_, e) => (
        <Flex vertical>
          <Typography.Text ellipsis style={{ maxWidth: 240 }}>
            {e.actorLabel ?? e.actorId}
          </Typography.Text>
          <Typography.Text type="secondary" style={{ fontSize: 12 }}>
            {e.actorType === 'guest' && e.actorId === 'anonymous' ? t(actorKindKey(e.actorType, e.actorId)!) : actorTypeLabel(e.actorType, t)}
          </Typography.Text>
        </Flex>
      ),
    },
    {
      title: t('audit.action'),
      dataIndex: 'action',
      key: 'action',
      render: (a: string) => (
        <Flex vertical>
          <span>{actionLabel(a, t)}</span>
          <Typography.Text type="secondary" style={{ fontSize: 12 }} className="diff-value">
            {a}
          </Typography.Text>
        </Flex>
      ),
    },
    {
      title: t('audit.target'),
      key: 'target',
      render: (_, e) => (
        <Flex vertical>
          <span>{targetLabel(e.targetType, t)}</span>
          {e.targetId ? (
            <Typography.Text type="secondary" style={{ fontSize: 12 }} copyable={{ text: e.targetId, tooltips: [t('common.copy'), t('common.copied')] }}>
              <a onClick={() => setFilter('targetId', e.targetId ?? undefined)} className="diff-value">
                {/* ids are time-ordered (UUIDv7): their tail tells them apart */}…{e.targetId.slice(-8)}
              </a>
            </Typography.Text>
          ) : null}
        </Flex>
      ),
    },
    {
      title: t('audit.ip'),
      dataIndex: 'ip',
      key: 'ip',
      width: 130,
      render: (v: string | null) => (v ? <span className="diff-value">{v}</span> : <span className="muted">—</span>),
    },
  ];

  return (
    <>
      <PageHeader title={t('audit.title')} intro={t('audit.intro')} />
      <Card>
        <Flex className="toolbar" gap={12} wrap align="center" justify="space-between">
          <Space wrap>
            <Select
              allowClear
              showSearch
              placeholder={t('audit.anyAction')}
              value={action}
              onChange={(v?: string) => setFilter('action', v)}
              options={actionOptions}
              optionFilterProp="label"
              style={{ width: 260 }}
              data-testid="filter-action"
              optionRender={(o) => (
                <Flex vertical>
                  <span>{o.data.label}</span>
                  <span className="muted diff-value">{o.data.code}</span>
                </Flex>
              )}
            />
            <Select
              allowClear
              placeholder={t('audit.anyTarget')}
              value={targetType}
              onChange={(v?: string) => setFilter('targetType', v)}
              options={TARGET_TYPES.map((x) => ({ value: x, label: targetLabel(x, t) }))}
              style={{ width: 180 }}
              data-testid="filter-target"
            />
            <Input.Search
              allowClear
              placeholder={t('audit.targetId')}
              value={targetIdDraft}
              onChange={(e) => setTargetIdDraft(e.target.value)}
              onSearch={(v) => setFilter('targetId', v.trim() || undefined)}
              style={{ width: 260 }}
            />
            {filtered ? <Button onClick={() => setParams(new URLSearchParams(), { replace: true })}>{t('common.reset')}</Button> : null}
          </Space>
          <Button icon={<ReloadOutlined />} onClick={reload} aria-label={t('common.retry')} />
        </Flex>
        {error ? (
          <ErrorState error={error} onRetry={reload} />
        ) : (
          <Table<AuditEntry>
            rowKey="id"
            columns={columns}
            dataSource={data?.items ?? []}
            loading={loading}
            pagination={false}
            size="middle"
            rowClassName="audit-row"
            expandable={{ expandedRowRender: (e) => <Changes entry={e} />, rowExpandable: (e) => e.before !== null || e.after !== null }}
            locale={{ emptyText: filtered ? t('audit.emptyFiltered') : t('audit.empty') }}
            data-testid="audit-table"
          />
        )}
        <Flex justify="space-between" align="center" style={{ marginTop: 16 }} gap={12} wrap>
          <Typography.Text type="secondary" data-testid="audit-page">
            {t('audit.page', { n: pageIndex + 1 })}
          </Typography.Text>
          <Space wrap>
            <Select<number>
              value={limit}
              onChange={(v) => setFilter('limit', String(v))}
              options={PAGE_SIZES.map((n) => ({ value: n, label: t('audit.perPage', { n }) }))}
              style={{ width: 150 }}
              data-testid="page-size"
            />
            <Button
              icon={<LeftOutlined />}
              disabled={pageIndex === 0 || loading}
              onClick={() => setPager({ key: filterKey, cursors: cursors.slice(0, -1) })}
              data-testid="audit-prev"
            >
              {t('audit.prev')}
            </Button>
            <Button
              disabled={!data?.nextCursor || loading}
              onClick={() => data?.nextCursor && setPager({ key: filterKey, cursors: [...cursors, data.nextCursor] })}
              data-testid="audit-next"
            >
              {t('audit.next')} <RightOutlined />
            </Button>
          </Space>
        </Flex>
      </Card>
    </>
  );
}
