import { useEffect, useState } from 'react';
import { Button, Flex, Input, InputNumber, Select, Typography } from 'antd';
import { ClearOutlined } from '@ant-design/icons';
import { useI18n } from '../app/i18n';
import { usePrograms } from '../app/domain';
import { formatNumber } from '../app/format';
import type { MessageKey } from '../app/messages';

/**
 * The segment filter's fields as the console uses them. Their names are the hub's query parameters
 * (`GET /v1/admin/guests`, `/count`), so the page's address is a shareable segment
 * (`/admin/clients/guests?birthdayIn=this_week`) and Home can link straight to one.
 */
export const SEGMENT_PARAMS = [
  'programId',
  'level',
  'gender',
  'ageFrom',
  'ageTo',
  'birthdayIn',
  'notBackDays',
  'source',
  'utmSource',
  'utmCampaign',
  'walletInstalled',
  'consent',
  'rfm',
] as const;
export type SegmentParam = (typeof SEGMENT_PARAMS)[number];
export type SegmentQuery = Partial<Record<SegmentParam, string>>;

/** Age bands offered in the picker: `from-to` (`to` empty for "and older"). */
const AGE_BANDS = ['0-17', '18-24', '25-34', '35-44', '45-54', '55-'] as const;
const BIRTHDAY_WINDOWS = ['today', 'this_week', 'this_month', 'next_7_days', 'next_30_days'] as const;
const SOURCES = ['console', 'pos', 'form', 'import', 'referral', 'web_scanner'] as const;
const RFM_SEGMENTS = [
  'champions',
  'loyal',
  'potential_loyalists',
  'new',
  'promising',
  'need_attention',
  'about_to_sleep',
  'at_risk',
  'cant_lose',
  'hibernating',
  'lost',
] as const;

/** The segment part of the page's address. */
export function segmentFromParams(params: URLSearchParams): SegmentQuery {
  const out: SegmentQuery = {};
  for (const k of SEGMENT_PARAMS) {
    const v = params.get(k);
    if (v) out[k] = v;
  }
  return out;
}

/** A text field that reports its value when the user stops typing (Enter or leaving the field). */
function CommitInput({ value, onCommit, placeholder, testId }: { value?: string; onCommit(v: string | undefined): void; placeholder: string; testId: string }) {
  const [draft, setDraft] = useState(value ?? '');
  useEffect(() => setDraft(value ?? ''), [value]);
  const commit = () => {
    const v = draft.trim() || undefined;
    if (v !== value) onCommit(v);
  };
  return (
    <Input
      allowClear
      placeholder={placeholder}
      value={draft}
      onChange={(e) => setDraft(e.target.value)}
      onPressEnter={commit}
      onBlur={commit}
      style={{ width: 170 }}
      data-testid={testId}
    />
  );
}

/**
 * The filter bar of the client list: program, level, gender, age band, birthday window, not back
 * for N days, source, UTM source and campaign, wallet, marketing consent. Each change is one `onChange` of the
 * fields it sets (undefined clears).
 */
export function GuestFilters({ value, onChange }: { value: SegmentQuery; onChange(patch: SegmentQuery): void }) {
  const { t } = useI18n();
  const programs = usePrograms();
  const sourceLabel = (s: string) => {
    const key = `guest.source.${s}` as MessageKey;
    const label = t(key);
    return label === key ? s : label;
  };
  // Level codes of the chosen program, or of all programs (a code shared by two programs listed once).
  const levelOptions = new Map<string, string>();
  for (const p of programs.data ?? [])
    if (!value.programId || p.id === value.programId) for (const lv of p.levels) if (!levelOptions.has(lv.code)) levelOptions.set(lv.code, lv.name);
  const ageBand = value.ageFrom !== undefined || value.ageTo !== undefined ? `${value.ageFrom ?? '0'}-${value.ageTo ?? ''}` : undefined;
  const list = (v?: string) => (v ? v.split(',').filter(Boolean) : []);
  const any = Object.values(value).some(Boolean);

  return (
    <Flex gap={8} wrap align="center" data-testid="guests-filters">
      <Select
        allowClear
        placeholder={t('segment.program')}
        value={value.programId}
        onChange={(v?: string) => onChange({ programId: v, level: undefined })}
        loading={programs.loading}
        options={(programs.data ?? []).map((p) => ({ value: p.id, label: p.name }))}
        style={{ width: 180 }}
        data-testid="guests-filter-program"
      />
      <Select
        allowClear
        mode="multiple"
        maxTagCount="responsive"
        placeholder={t('segment.level')}
        value={list(value.level)}
        onChange={(v: string[]) => onChange({ level: v.length ? v.join(',') : undefined })}
        options={[...levelOptions].map(([code, name]) => ({ value: code, label: name }))}
        notFoundContent={t('segment.noLevels')}
        style={{ width: 180 }}
        data-testid="guests-filter-level"
      />
      <Select
        allowClear
        placeholder={t('guest.gender')}
        value={value.gender}
        onChange={(v?: string) => onChange({ gender: v })}
        options={[
          { value: 'female', label: t('guest.gender.female') },
          { value: 'male', label: t('guest.gender.male') },
          { value: 'unknown', label: t('segment.gender.unknown') },
        ]}
        style={{ width: 140 }}
        data-testid="guests-filter-gender"
      />
      <Select
        allowClear
        placeholder={t('segment.age')}
        value={ageBand}
        onChange={(v?: string) => {
          const [from, to] = (v ?? '').split('-');
          onChange({ ageFrom: from || undefined, ageTo: to || undefined });
        }}
        options={[
          ...AGE_BANDS.map((b) => ({
            value: b,
            label: b.endsWith('-')
              ? t('segment.age.older', { n: b.slice(0, -1) })
              : b.startsWith('0-')
                ? t('segment.age.under', { n: Number(b.slice(2)) + 1 })
                : b.replace('-', '–'),
          })),
          // A band typed into the address that the picker does not offer still shows.
          ...(ageBand && !(AGE_BANDS as readonly string[]).includes(ageBand) ? [{ value: ageBand, label: ageBand.replace('-', '–') }] : []),
        ]}
        style={{ width: 130 }}
        data-testid="guests-filter-age"
      />
      <Select
        allowClear
        placeholder={t('segment.birthday')}
        value={value.birthdayIn}
        onChange={(v?: string) => onChange({ birthdayIn: v })}
        options={BIRTHDAY_WINDOWS.map((w) => ({ value: w, label: t(`segment.birthday.${w}` as MessageKey) }))}
        style={{ width: 190 }}
        data-testid="guests-filter-birthday"
      />
      <InputNumber
        min={1}
        max={3650}
        precision={0}
        placeholder={t('segment.notBack')}
        value={value.notBackDays ? Number(value.notBackDays) : null}
        onChange={(v) => onChange({ notBackDays: v ? String(v) : undefined })}
        addonAfter={t('segment.days')}
        style={{ width: 210 }}
        data-testid="guests-filter-notback"
      />
      <Select
        allowClear
        mode="tags"
        maxTagCount="responsive"
        placeholder={t('guest.source')}
        value={list(value.source)}
        onChange={(v: string[]) => onChange({ source: v.length ? v.join(',') : undefined })}
        options={SOURCES.map((s) => ({ value: s, label: sourceLabel(s) }))}
        style={{ width: 180 }}
        data-testid="guests-filter-source"
      />
      <Select
        allowClear
        mode="multiple"
        maxTagCount="responsive"
        placeholder={t('analytics.rfm')}
        value={list(value.rfm)}
        onChange={(v: string[]) => onChange({ rfm: v.length ? v.join(',') : undefined })}
        options={RFM_SEGMENTS.map((s) => ({ value: s, label: t(`rfm.${s}` as MessageKey) }))}
        style={{ width: 200 }}
        data-testid="guests-filter-rfm"
      />
      <CommitInput
        value={value.utmSource}
        onCommit={(v) => onChange({ utmSource: v })}
        placeholder={t('segment.utmSource')}
        testId="guests-filter-utm-source"
      />
      <CommitInput
        value={value.utmCampaign}
        onCommit={(v) => onChange({ utmCampaign: v })}
        placeholder={t('segment.utmCampaign')}
        testId="guests-filter-utm-campaign"
      />
      <Select
        allowClear
        placeholder={t('segment.wallet')}
        value={value.walletInstalled}
        onChange={(v?: string) => onChange({ walletInstalled: v })}
        options={[
          { value: 'true', label: t('segment.wallet.yes') },
          { value: 'false', label: t('segment.wallet.no') },
        ]}
        style={{ width: 170 }}
        data-testid="guests-filter-wallet"
      />
      <Select
        allowClear
        placeholder={t('segment.consent')}
        value={value.consent}
        onChange={(v?: string) => onChange({ consent: v })}
        options={[
          { value: 'true', label: t('segment.consent.yes') },
          { value: 'false', label: t('segment.consent.no') },
        ]}
        style={{ width: 190 }}
        data-testid="guests-filter-consent"
      />
      {any ? (
        <Button
          icon={<ClearOutlined />}
          onClick={() => onChange(Object.fromEntries(SEGMENT_PARAMS.map((k) => [k, undefined])))}
          data-testid="guests-filter-reset"
        >
          {t('segment.reset')}
        </Button>
      ) : null}
    </Flex>
  );
}

/** "Found: 1,234" under the filters (the hub counts with the same filter as the list). */
export function GuestCount({ count, loading }: { count: number | undefined; loading: boolean }) {
  const { t, lang } = useI18n();
  return (
    <Typography.Text type="secondary" data-testid="guests-count" data-count={count ?? ''} aria-busy={loading}>
      {count === undefined ? '\u00a0' : t('segment.found', { n: formatNumber(count, lang) })}
    </Typography.Text>
  );
}
