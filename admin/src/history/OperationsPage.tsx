import { useSearchParams } from 'react-router-dom';
import { Button, Card, DatePicker, Flex, Select } from 'antd';
import dayjs from 'dayjs';
import { useI18n } from '../app/i18n';
import { useMe } from '../app/session';
import { allows, ROLE_SETS } from '../app/roles';
import { http, withQuery } from '../app/api';
import { useLoad } from '../app/useLoad';
import { PageHeader } from '../app/ui';
import type { Items, Location, Staff, Terminal } from '../app/types';
import { OperationsTable, type SaleFilterQuery } from './OperationsTable';

const FILTER_KEYS = ['from', 'to', 'locationId', 'terminalId', 'cashierId'] as const;

/**
 * History › Operations: every sale with its discount, points and refunds; filtered by period,
 * location, terminal and cashier (kept in the page's address), with the filter's totals and a CSV
 * export of it.
 */
export function OperationsPage() {
  const { t } = useI18n();
  const { staff } = useMe();
  const [params, setParams] = useSearchParams();
  const status = params.get('status') ?? undefined;
  const admin = allows(ROLE_SETS.admins, staff.role);
  const locations = useLoad((signal) => http.get<Items<Location>>('/v1/admin/locations', { signal }).then((r) => r.items), []);
  const terminals = useLoad((signal) => (admin ? http.get<Items<Terminal>>('/v1/admin/terminals', { signal }).then((r) => r.items) : Promise.resolve([])), [admin]);
  const people = useLoad((signal) => (admin ? http.get<Items<Staff>>('/v1/admin/staff', { signal }).then((r) => r.items) : Promise.resolve([])), [admin]);
  const filter: SaleFilterQuery = Object.fromEntries(FILTER_KEYS.map((k) => [k, params.get(k) ?? undefined]));
  const patch = (p: Record<string, string | undefined>) => {
    const next = new URLSearchParams(params);
    for (const [k, v] of Object.entries(p)) {
      if (v) next.set(k, v);
      else next.delete(k);
    }
    setParams(next, { replace: true });
  };
  const query = { ...filter, status, guestId: params.get('guestId') ?? undefined, cardId: params.get('cardId') ?? undefined };

  return (
    <>
      <PageHeader
        title={t('sales.title')}
        intro={t('sales.intro')}
        extra={
          <Button href={withQuery('/v1/admin/exports/purchases.csv', query)} data-testid="sales-export">
            {t('export.csv')}
          </Button>
        }
      />
      <Card>
        <Flex gap={8} wrap style={{ marginBottom: 16 }} data-testid="sales-filters">
          <DatePicker.RangePicker
            value={filter.from && filter.to ? [dayjs(filter.from), dayjs(filter.to).subtract(1, 'day')] : null}
            onChange={(v) =>
              patch({
                from: v?.[0] ? v[0].startOf('day').toISOString() : undefined,
                to: v?.[1] ? v[1].startOf('day').add(1, 'day').toISOString() : undefined,
              })
            }
            data-testid="sales-period"
          />
          <Select
            allowClear
            placeholder={t('sales.location')}
            value={filter.locationId}
            onChange={(v?: string) => patch({ locationId: v })}
            loading={locations.loading}
            options={(locations.data ?? []).map((l) => ({ value: l.id, label: l.address ? `${l.name} · ${l.address}` : l.name }))}
            style={{ width: 220 }}
            data-testid="sales-location"
          />
          {admin ? (
            <>
              <Select
                allowClear
                placeholder={t('sales.terminal')}
                value={filter.terminalId}
                onChange={(v?: string) => patch({ terminalId: v })}
                options={(terminals.data ?? []).map((x) => ({ value: x.id, label: x.name }))}
                style={{ width: 200 }}
                data-testid="sales-terminal"
              />
              <Select
                allowClear
                placeholder={t('sales.cashier')}
                value={filter.cashierId}
                onChange={(v?: string) => patch({ cashierId: v })}
                options={(people.data ?? []).map((s) => ({ value: s.id, label: s.name || s.email }))}
                style={{ width: 200 }}
                data-testid="sales-cashier"
              />
            </>
          ) : null}
        </Flex>
        <OperationsTable
          status={status}
          guestId={params.get('guestId') ?? undefined}
          cardId={params.get('cardId') ?? undefined}
          filter={filter}
          totals
          names={{
            location: (id) => locations.data?.find((l) => l.id === id)?.name,
            terminal: (id) => terminals.data?.find((x) => x.id === id)?.name,
            staff: (id) => people.data?.find((s) => s.id === id)?.name,
          }}
          onStatus={(s) => patch({ status: s })}
        />
      </Card>
    </>
  );
}
