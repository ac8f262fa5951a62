import { useState } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router-dom';
import { App, Button, Card, Flex, Input, Segmented, Space, Table, Tag, Typography } from 'antd';
import type { TableColumnsType, TableProps } from 'antd';
import { ImportOutlined, ReloadOutlined, UserAddOutlined } from '@ant-design/icons';
import { useI18n } from '../app/i18n';
import { useMe } from '../app/session';
import { allows, ROLE_SETS } from '../app/roles';
import { CursorPager, useCursorList } from '../app/cursor';
import { ErrorState, PageHeader } from '../app/ui';
import { formatDate, formatDateTime, formatNumber } from '../app/format';
import { guestLabel, Money, usePrograms } from '../app/domain';
import { formatPhone } from '../app/phone';
import type { Guest } from '../app/types';
import { RegisterGuestModal } from './RegisterGuestModal';
import { GuestCount, GuestFilters, segmentFromParams } from './GuestFilters';
import { http, withQuery } from '../app/api';
import { useLoad } from '../app/useLoad';

/** A row of the list: the guest and the card the row shows (its balance and level). */
type ListedGuest = Guest & { card?: { id: string; number: string; programId: string; pointsBalance: number; levelCode: string | null } | null };

/** Columns the hub sorts by (`sort`), by the table's column keys. */
const SORTS: Record<string, string> = { balance: 'balance', last: 'lastVisit', spend: 'spend', visits: 'visits', created: 'created' };
const SORT_KEYS = Object.fromEntries(Object.entries(SORTS).map(([k, v]) => [v, k]));

/**
 * Clients › Guests: search by phone, name, e-mail, card number or the last 4 digits of a phone or
 * card; status and segment filters and the sort (kept in the page's address, sorted on the server)
 * with the number of guests that match; CSV export of the filtered list; register a guest.
 */
export function GuestsPage() {
  const { t, lang } = useI18n();
  const { staff, business } = useMe();
  const { message } = App.useApp();
  const navigate = useNavigate();
  const [params, setParams] = useSearchParams();
  const q = params.get('q') ?? '';
  const status = params.get('status') ?? 'active';
  const [draft, setDraft] = useState(q);
  const [registering, setRegistering] = useState(false);
  const segment = segmentFromParams(params);
  const sort = params.get('sort') ?? undefined;
  const order = params.get('order') === 'asc' ? 'asc' : 'desc';
  const query = { q: q || undefined, status: status === 'all' ? undefined : status, ...segment };
  const list = useCursorList<ListedGuest>('/v1/admin/guests', { ...query, sort, order: sort ? order : undefined });
  const programs = usePrograms();
  const levelName = (programId: string, code: string) => programs.data?.find((p) => p.id === programId)?.levels.find((l) => l.code === code)?.name ?? code;
  const queryKey = JSON.stringify(query);
  const count = useLoad((signal) => http.get<{ count: number }>(withQuery('/v1/admin/guests/count', query), { signal }).then((r) => r.count), [queryKey]);

  // From the address as it is when the change lands: a handler may come from an earlier render, and
  // react-router's functional update also starts from its render's copy, so two quick changes (a
  // filter typed right after a sort) would drop one.
  const patchParams = (patch: Record<string, string | undefined>) =>
    setParams(
      () => {
        const next = new URLSearchParams(window.location.search);
        for (const [key, value] of Object.entries(patch)) {
          if (value) next.set(key, value);
          else next.delete(key);
        }
        return next;
      },
      { replace: true },
    );
  const setParam = (key: string, value: string | undefined) => patchParams({ [key]: value });
  const filtered = Object.keys(segment).length > 0;
  const sortedKey = sort ? SORT_KEYS[sort] : 'created';
  const sortable = (key: string) => ({
    sorter: true,
    sortDirections: ['descend', 'ascend'] as ('descend' | 'ascend')[],
    sortOrder: sortedKey === key ? (order === 'asc' ? ('ascend' as const) : ('descend' as const)) : null,
  });
  const onTableChange: TableProps<ListedGuest>['onChange'] = (_p, _f, sorter, extra) => {
    // Only a header click changes the sort (antd also calls this when the rows change under a filter).
    if (extra.action !== 'sort') return;
    const s = Array.isArray(sorter) ? sorter[0] : sorter;
    const key = s?.order ? String(s.columnKey) : undefined;
    patchParams({ sort: key && key !== 'created' ? SORTS[key] : undefined, order: key && s?.order === 'ascend' ? 'asc' : undefined });
  };

  const columns: TableColumnsType<ListedGuest> = [
    {
      title: t('guest.name'),
      key: 'name',
      render: (_, g) => (
        <Flex vertical>
          <Link to={`/clients/guests/${g.id}`} data-testid="guest-link">
            {guestLabel(g, t)}
          </Link>
          {g.email ? (
            <Typography.Text type="secondary" style={{ fontSize: 12 }}>
              {g.email}
            </Typography.Text>
          ) : null}
        </Flex>
      ),
    },
    {
      title: t('common.phone'),
      dataIndex: 'phone',
      key: 'phone',
      render: (v: string | null) => (v ? <span style={{ whiteSpace: 'nowrap' }}>{formatPhone(v)}</span> : <span className="muted">—</span>),
    },
    {
      title: t('guests.balance'),
      key: 'balance',
      align: 'right',
      ...sortable('balance'),
      render: (_, g) => (g.card ? <span data-testid="guest-balance">{formatNumber(g.card.pointsBalance, lang)}</span> : <span className="muted">—</span>),
    },
    {
      title: t('card.level'),
      key: 'level',
      render: (_, g) => (g.card?.levelCode ? levelName(g.card.programId, g.card.levelCode) : <span className="muted">—</span>),
    },
    {
      title: t('guest.lastPurchase'),
      dataIndex: 'lastPurchaseAt',
      key: 'last',
      ...sortable('last'),
      render: (v: string | null) => (v ? formatDateTime(v, lang, business.timezone) : <span className="muted">{t('guest.noPurchases')}</span>),
    },
    { title: t('guest.spend'), dataIndex: 'spendMinor', key: 'spend', align: 'right', ...sortable('spend'), render: (v: number) => <Money minor={v} /> },
    { title: t('guest.visits'), dataIndex: 'visits', key: 'visits', align: 'right', ...sortable('visits'), render: (v: number) => formatNumber(v, lang) },
    { title: t('guest.registered'), dataIndex: 'createdAt', key: 'created', ...sortable('created'), render: (v: string) => formatDate(v, lang, business.timezone) },
    {
      title: t('common.status'),
      dataIndex: 'status',
      key: 'status',
      width: 120,
      render: (s: string) => (s === 'erased' ? <Tag>{t('guest.status.erased')}</Tag> : <Tag color="green">{t('guest.status.active')}</Tag>),
    },
  ];

  return (
    <>
      <PageHeader
        title={t('guests.title')}
        intro={t('guests.intro')}
        extra={
          <>
            <Button href={withQuery('/v1/admin/exports/clients.csv', query)} data-testid="guests-export">
              {t('export.csv')}
            </Button>
            {allows(ROLE_SETS.admins, staff.role) ? (
              <Button icon={<ImportOutlined />} onClick={() => navigate('/clients/import')}>
                {t('import.open')}
              </Button>
            ) : null}
            <Button type="primary" icon={<UserAddOutlined />} onClick={() => setRegistering(true)}>
              {t('guest.register')}
            </Button>
          </>
        }
      />
      <Card>
        <Flex className="toolbar" gap={12} wrap justify="space-between">
          <Space wrap>
            <Input.Search
              allowClear
              placeholder={t('guests.search')}
              value={draft}
              onChange={(e) => setDraft(e.target.value)}
              onSearch={(v) => setParam('q', v.trim() || undefined)}
              style={{ width: 360 }}
              data-testid="guests-search"
            />
            <Segmented
              value={status}
              onChange={(v) => setParam('status', v === 'active' ? undefined : String(v))}
              options={[
                { value: 'active', label: t('guest.filter.active') },
                { value: 'erased', label: t('guest.filter.erased') },
                { value: 'all', label: t('common.all') },
              ]}
            />
          </Space>
          <Space>
            <GuestCount count={count.error ? undefined : count.data} loading={count.loading} />
            <Button
              icon={<ReloadOutlined />}
              onClick={() => {
                list.reload();
                count.reload();
              }}
              aria-label={t('common.refresh')}
            />
          </Space>
        </Flex>
        <div style={{ marginBottom: 16 }}>
          <GuestFilters value={segment} onChange={patchParams} />
        </div>
        {list.error ? (
          <ErrorState error={list.error} onRetry={list.reload} />
        ) : (
          <Table<ListedGuest>
            rowKey={(g) => `${g.id}:${g.card?.id ?? ''}`}
            columns={columns}
            dataSource={list.data?.items ?? []}
            loading={list.loading}
            pagination={false}
            onChange={onTableChange}
            showSorterTooltip={false}
            onRow={(g) => ({ onDoubleClick: () => navigate(`/clients/guests/${g.id}`) })}
            // While a page loads the spinner speaks alone: no "nobody found" flashing under it.
            locale={{ emptyText: list.loading || !list.data ? <span /> : q ? t('guests.emptySearch', { q }) : filtered ? t('segment.empty') : t('guests.empty') }}
            data-testid="guests-table"
            scroll={{ x: 900 }}
          />
        )}
        <CursorPager list={list} />
      </Card>
      {registering ? (
        <RegisterGuestModal
          onClose={() => setRegistering(false)}
          onDone={({ guest, card }) => {
            setRegistering(false);
            void message.success(card ? t('guest.registered.card', { number: card.number }) : t('guest.registered.done'));
            navigate(`/clients/guests/${guest.id}`);
          }}
        />
      ) : null}
    </>
  );
}
