import { Descriptions, Flex, Segmented, Space, Table, Tag, Typography, Button } from 'antd';
import type { TableColumnsType } from 'antd';
import { ReloadOutlined } from '@ant-design/icons';
import { Link } from 'react-router-dom';
import { http, withQuery } from '../app/api';
import { useI18n } from '../app/i18n';
import { useMe } from '../app/session';
import { useLoad } from '../app/useLoad';
import { CursorPager, useCursorList } from '../app/cursor';
import { ErrorState } from '../app/ui';
import { formatCardNumber, formatDateTime, formatNumber } from '../app/format';
import { CheckoutStatusTag, Money, useMoney } from '../app/domain';
import type { Checkout, Refund } from '../app/types';
import { useSaleRefs } from './refs';

/** Lines and refunds of one sale, loaded when its row is opened. */
function SaleDetails({ sale }: { sale: Checkout }) {
  const { t, lang } = useI18n();
  const { business } = useMe();
  const money = useMoney();
  const { data, error, loading, reload } = useLoad(
    (signal) => http.get<Checkout & { refunds: Refund[] }>(`/v1/admin/checkouts/${sale.id}`, { signal }),
    [sale.id],
  );
  if (error) return <ErrorState error={error} onRetry={reload} />;
  const lines = (data?.lines ?? []) as {
    sku: string;
    name?: string;
    qty: number;
    amountMinor: number;
    discountMinor: number;
    pointsValueMinor: number;
    accruedPoints: number;
  }[];
  return (
    <Flex vertical gap={12} style={{ padding: '4px 8px' }} data-testid="sale-details">
      <Descriptions size="small" column={{ xs: 1, md: 4 }}>
        <Descriptions.Item label={t('sale.payable')}>{money(sale.payableMinor)}</Descriptions.Item>
        {sale.giftSpentMinor ? <Descriptions.Item label={t('sale.gift')}>{money(sale.giftSpentMinor)}</Descriptions.Item> : null}
        {sale.couponCode ? <Descriptions.Item label={t('sale.coupon')}>{sale.couponCode}</Descriptions.Item> : null}
        {sale.receipt ? <Descriptions.Item label={t('sale.receipt')}>{String(sale.receipt.number ?? '—')}</Descriptions.Item> : null}
        {sale.balanceAfter ? (
          <Descriptions.Item label={t('sale.balanceAfter')}>{t('ledger.points', { n: formatNumber(sale.balanceAfter.points, lang) })}</Descriptions.Item>
        ) : null}
        {sale.pointsAvailableAt ? (
          <Descriptions.Item label={t('sale.pointsAvailableAt')}>{formatDateTime(sale.pointsAvailableAt, lang, business.timezone)}</Descriptions.Item>
        ) : null}
      </Descriptions>
      <Table
        size="small"
        rowKey={(_, i) => String(i)}
        loading={loading}
        pagination={false}
        dataSource={lines}
        columns={[
          { title: t('sale.line'), key: 'sku', render: (_, l) => l.name ?? l.sku },
          { title: t('sale.qty'), dataIndex: 'qty', key: 'qty', align: 'right' },
          { title: t('sale.amount'), key: 'amount', align: 'right', render: (_, l) => money(l.amountMinor) },
          { title: t('sale.discount'), key: 'discount', align: 'right', render: (_, l) => (l.discountMinor ? money(l.discountMinor) : '—') },
          { title: t('sale.byPoints'), key: 'points', align: 'right', render: (_, l) => (l.pointsValueMinor ? money(l.pointsValueMinor) : '—') },
          { title: t('sale.accrued'), key: 'accrued', align: 'right', render: (_, l) => (l.accruedPoints ? `+${l.accruedPoints}` : '—') },
        ]}
      />
      {data?.refunds.length ? (
        <>
          <Typography.Text strong>{t('sale.refunds')}</Typography.Text>
          <Table<Refund>
            size="small"
            rowKey="id"
            pagination={false}
            dataSource={data.refunds}
            data-testid="sale-refunds"
            columns={[
              { title: t('common.when'), dataIndex: 'createdAt', key: 'when', render: (v: string) => formatDateTime(v, lang, business.timezone) },
              { title: t('sale.refund.amount'), key: 'amount', align: 'right', render: (_, r) => money(r.amountMinor) },
              { title: t('sale.refund.money'), key: 'money', align: 'right', render: (_, r) => money(r.payableReturnedMinor) },
              { title: t('sale.refund.pointsReturned'), dataIndex: 'pointsReturned', key: 'pr', align: 'right' },
              { title: t('sale.refund.pointsReversed'), dataIndex: 'pointsReversed', key: 'pv', align: 'right' },
              { title: '', key: 'full', render: (_, r) => (r.full ? <Tag>{t('sale.refund.full')}</Tag> : <Tag>{t('sale.refund.partial')}</Tag>) },
            ]}
          />
        </>
      ) : null}
    </Flex>
  );
}

/** The sales history filter beside status, guest and card (the hub's query parameters). */
export type SaleFilterQuery = Partial<Record<'from' | 'to' | 'locationId' | 'terminalId' | 'cashierId', string>>;
type Sale = Checkout & { terminalId?: string | null; actorType?: string; actorId?: string; redeemValueMinor?: number };
interface Totals {
  sales: number;
  totalMinor: number;
  discountMinor: number;
  pointsValueMinor: number;
  pointsAccrued: number;
}

/**
 * Sales, newest first, from GET /v1/admin/checkouts: filter by status, a guest or a card (and on
 * the Operations page by period, location, terminal and cashier, with a totals row the hub sums);
 * a row opens to its lines and refunds.
 */
export function OperationsTable({
  guestId,
  cardId,
  hideGuest,
  compact,
  status,
  onStatus,
  filter,
  totals,
  names,
}: {
  guestId?: string;
  cardId?: string;
  hideGuest?: boolean;
  compact?: boolean;
  status?: string;
  onStatus?: (s: string | undefined) => void;
  filter?: SaleFilterQuery;
  /** Show the totals row of the filter. */
  totals?: boolean;
  /** Names of locations, terminals and staff, for the cashier and location columns. */
  names?: { location(id: string): string | undefined; terminal(id: string): string | undefined; staff(id: string): string | undefined };
}) {
  const { t, lang } = useI18n();
  const { business } = useMe();
  const money = useMoney();
  const query = { guestId, cardId, status, ...filter };
  const list = useCursorList<Sale>('/v1/admin/checkouts', query, compact ? 10 : 20);
  const sum = useLoad(
    (signal) => (totals ? http.get<Totals>(withQuery('/v1/admin/checkouts/totals', query), { signal }) : Promise.resolve(null)),
    [totals, JSON.stringify(query)],
  );
  const refs = useSaleRefs(list.data?.items);
  const ref = (c: Checkout) => refs.get(`${c.cardId}:${c.guestId}`);

  const columns: TableColumnsType<Sale> = [
    {
      title: t('sale.date'),
      dataIndex: 'createdAt',
      key: 'date',
      width: 170,
      render: (v: string) => <span style={{ whiteSpace: 'nowrap' }}>{formatDateTime(v, lang, business.timezone)}</span>,
    },
    {
      title: t('sale.card'),
      key: 'card',
      render: (_, c) => {
        const r = ref(c);
        if (!c.cardId) return <span className="muted">{t('sale.noCard')}</span>;
        return (
          <Flex vertical>
            <span className="diff-value card-number">{r?.cardNumber ? formatCardNumber(r.cardNumber) : '…'}</span>
            {r?.programName ? (
              <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                {r.programName}
              </Typography.Text>
            ) : null}
          </Flex>
        );
      },
    },
    ...(hideGuest
      ? []
      : [
          {
            title: t('sale.guest'),
            key: 'guest',
            render: (_: unknown, c: Sale) => {
              const r = ref(c);
              if (!c.guestId) return <span className="muted">—</span>;
              return <Link to={`/clients/guests/${c.guestId}`}>{r?.guestErased ? t('guest.erasedName') : (r?.guestName ?? r?.guestPhone ?? '…')}</Link>;
            },
          },
        ]),
    { title: t('sale.total'), dataIndex: 'totalMinor', key: 'total', align: 'right', render: (v: number) => <Money minor={v} strong /> },
    {
      title: t('sale.discount'),
      key: 'discount',
      align: 'right',
      render: (_, c) =>
        c.discountMinor + c.couponDiscountMinor ? <Money minor={c.discountMinor + c.couponDiscountMinor} /> : <span className="muted">—</span>,
    },
    {
      title: t('sale.paidWithPoints'),
      key: 'redeemed',
      align: 'right',
      // Points paid with, as the money they stood for (the points themselves under it).
      render: (_, c) =>
        c.pointsRedeemed ? (
          <Flex vertical align="end">
            <Typography.Text type="danger">−{money(c.redeemValueMinor ?? 0)}</Typography.Text>
            <Typography.Text type="secondary" style={{ fontSize: 12, whiteSpace: 'nowrap' }}>
              {t('ledger.points', { n: formatNumber(c.pointsRedeemed, lang) })}
            </Typography.Text>
          </Flex>
        ) : (
          <span className="muted">—</span>
        ),
    },
    {
      title: t('sale.accrued'),
      key: 'accrued',
      align: 'right',
      render: (_, c) =>
        c.pointsAccrued ? (
          <Typography.Text type="success">+{formatNumber(c.pointsAccrued, lang)}</Typography.Text>
        ) : c.stampsAdded ? (
          <Typography.Text type="success">{t('sale.stamps', { n: c.stampsAdded })}</Typography.Text>
        ) : (
          <span className="muted">—</span>
        ),
    },
    ...(names
      ? [
          {
            title: t('sales.location'),
            key: 'location',
            render: (_: unknown, c: Sale) => (c.locationId ? (names.location(c.locationId) ?? '…') : <span className="muted">—</span>),
          },
          {
            title: t('sales.cashier'),
            key: 'cashier',
            render: (_: unknown, c: Sale) =>
              c.actorType === 'staff' && c.actorId ? (
                (names.staff(c.actorId) ?? t('sales.cashier.staff'))
              ) : c.terminalId ? (
                (names.terminal(c.terminalId) ?? t('sales.cashier.terminal'))
              ) : (
                <span className="muted">—</span>
              ),
          },
        ]
      : []),
    { title: t('common.status'), key: 'status', render: (_, c) => <CheckoutStatusTag c={c} /> },
  ];
  const sumRow = (s: Totals) => {
    // The expand column comes first; the totals sit under their columns.
    const cells: (string | JSX.Element)[] = ['', t('sales.totals', { n: formatNumber(s.sales, lang) }), ''];
    if (!hideGuest) cells.push('');
    cells.push(money(s.totalMinor), s.discountMinor ? money(s.discountMinor) : '—', s.pointsValueMinor ? `−${money(s.pointsValueMinor)}` : '—', s.pointsAccrued ? `+${formatNumber(s.pointsAccrued, lang)}` : '—');
    return (
      <Table.Summary.Row data-testid="sales-totals">
        {cells.map((c, i) => (
          <Table.Summary.Cell key={i} index={i} align={i >= cells.length - 4 ? 'right' : undefined}>
            <Typography.Text strong>{c}</Typography.Text>
          </Table.Summary.Cell>
        ))}
      </Table.Summary.Row>
    );
  };

  return (
    <>
      {onStatus ? (
        <Flex className="toolbar" justify="space-between" gap={12} wrap>
          <Space wrap>
            <Segmented
              value={status ?? 'all'}
              onChange={(v) => onStatus(v === 'all' ? undefined : String(v))}
              options={[
                { value: 'all', label: t('common.all') },
                { value: 'committed', label: t('sale.filter.committed') },
                { value: 'held', label: t('sale.filter.held') },
                { value: 'canceled', label: t('sale.filter.canceled') },
              ]}
              data-testid="sales-status"
            />
          </Space>
          <Button icon={<ReloadOutlined />} onClick={list.reload} aria-label={t('common.refresh')} />
        </Flex>
      ) : null}
      {list.error ? (
        <ErrorState error={list.error} onRetry={list.reload} />
      ) : (
        <Table<Sale>
          rowKey="id"
          size={compact ? 'small' : 'middle'}
          columns={columns}
          dataSource={list.data?.items ?? []}
          loading={list.loading}
          pagination={false}
          expandable={{ expandedRowRender: (c) => <SaleDetails sale={c} /> }}
          locale={{ emptyText: list.loading || !list.data ? <span /> : t(guestId || cardId ? 'sales.emptyGuest' : status ? 'sales.emptyFiltered' : 'sales.empty') }}
          summary={() => (totals && sum.data && sum.data.sales > 0 ? <Table.Summary fixed>{sumRow(sum.data)}</Table.Summary> : null)}
          data-testid="sales-table"
          rowClassName="sale-row"
          scroll={{ x: 900 }}
        />
      )}
      <CursorPager list={list} />
    </>
  );
}
