import { useMemo, useRef, useState } from 'react';
import { Select, Spin, Tag, Typography } from 'antd';
import { http, withQuery } from './api';
import { useI18n } from './i18n';
import type { Translate } from './i18n';
import { useMe } from './session';
import { useLoad } from './useLoad';
import { formatMoney } from './money';
import { formatCardNumber } from './format';
import { formatPhone } from './phone';
import type { MessageKey } from './messages';
import { en } from './messages';
import type { Card, CardStatus, Checkout, CursorPage, Guest, Items, Program } from './types';

/** A message key when the dictionary has it, else the raw value (codes the console does not know yet). */
export function labelOf(prefix: string, value: string, t: Translate): string {
  const key = `${prefix}.${value}`;
  return key in en ? t(key as MessageKey) : value;
}

/** Money of the business's currency, in the console's language. */
export function useMoney(): (minor: number | null | undefined) => string {
  const { lang } = useI18n();
  const { business } = useMe();
  return (minor) => formatMoney(minor, business.currency, lang);
}

export function Money({ minor, strong }: { minor: number | null | undefined; strong?: boolean }) {
  const money = useMoney();
  return <span style={{ whiteSpace: 'nowrap', fontWeight: strong ? 600 : undefined }}>{money(minor)}</span>;
}

const CARD_STATUS_COLOR: Record<CardStatus, string> = { active: 'green', blocked: 'orange', deleted: 'default' };

export function CardStatusTag({ status }: { status: string }) {
  const { t } = useI18n();
  return <Tag color={CARD_STATUS_COLOR[status as CardStatus] ?? 'default'}>{labelOf('card.status', status, t)}</Tag>;
}

const KIND_COLOR: Record<string, string> = { bonus: 'purple', discount: 'blue', stamp: 'orange', coupon: 'magenta', gift: 'gold' };

export function KindTag({ kind }: { kind: string }) {
  const { t } = useI18n();
  return <Tag color={KIND_COLOR[kind] ?? 'default'}>{labelOf('kind', kind, t)}</Tag>;
}

export function CheckoutStatusTag({ c }: { c: Pick<Checkout, 'status' | 'refunded' | 'totalMinor'> }) {
  const { t } = useI18n();
  if (c.status === 'committed' && c.refunded.amountMinor > 0) {
    return (
      <Tag color={c.refunded.amountMinor >= c.totalMinor ? 'red' : 'volcano'}>
        {t(c.refunded.amountMinor >= c.totalMinor ? 'sale.refunded' : 'sale.partlyRefunded')}
      </Tag>
    );
  }
  return <Tag color={c.status === 'committed' ? 'green' : c.status === 'held' ? 'blue' : 'default'}>{labelOf('sale.status', c.status, t)}</Tag>;
}

/** The main balance of a card in words: points, money on a certificate, stamps, or the level. */
export function useCardBalance(): (c: Card) => string {
  const { t } = useI18n();
  const money = useMoney();
  return (c) => {
    switch (c.kind) {
      case 'bonus':
        return t('card.balance.points', { n: c.pointsAvailable });
      case 'gift':
        return money(c.giftBalanceMinor);
      case 'stamp':
        return t('card.balance.stamps', { n: c.stamps, goal: c.stampsGoal ?? 0 });
      default:
        return c.levelName ?? '—';
    }
  };
}

/** The business's programs (every page that needs a program picker). */
export function usePrograms() {
  return useLoad((signal) => http.get<Items<Program>>('/v1/admin/programs', { signal }).then((r) => r.items), []);
}

export const guestLabel = (g: Pick<Guest, 'name' | 'phone' | 'status'>, t: Translate) =>
  g.status === 'erased' ? t('guest.erasedName') : g.name || formatPhone(g.phone) || t('guest.noName');

/** A guest picker that asks the hub as one types (phone, name, e-mail or card number). */
export function GuestSearchSelect({
  value,
  onChange,
  placeholder,
  id,
}: {
  value?: string;
  onChange?: (id: string | undefined) => void;
  placeholder?: string;
  id?: string;
}) {
  const { t } = useI18n();
  const [options, setOptions] = useState<{ value: string; label: string }[]>([]);
  const [busy, setBusy] = useState(false);
  const seq = useRef(0);
  const search = useMemo(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    return (q: string) => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        const n = ++seq.current;
        setBusy(true);
        http
          .get<CursorPage<Guest>>(withQuery('/v1/admin/guests', { q: q.trim() || undefined, status: 'active', limit: 20 }))
          .then((r) => {
            if (n === seq.current) setOptions(r.items.map((g) => ({ value: g.id, label: [g.name, g.phone].filter(Boolean).join(' · ') || g.id })));
          })
          .catch(() => undefined)
          .finally(() => n === seq.current && setBusy(false));
      }, 250);
    };
  }, []);
  return (
    <Select
      id={id}
      showSearch
      allowClear
      value={value}
      onChange={(v?: string) => onChange?.(v)}
      onSearch={search}
      onFocus={() => options.length === 0 && search('')}
      filterOption={false}
      options={options}
      placeholder={placeholder ?? t('guest.search')}
      notFoundContent={busy ? <Spin size="small" /> : <Typography.Text type="secondary">{t('guest.searchEmpty')}</Typography.Text>}
      data-testid="guest-search"
    />
  );
}

/** A card number grouped by four and kept on one line; copying takes the digits alone. */
export function CardNumber({ number, copyable = false }: { number: string; copyable?: boolean }) {
  return (
    <Typography.Text className="card-number" copyable={copyable ? { text: number } : false}>
      {formatCardNumber(number)}
    </Typography.Text>
  );
}
