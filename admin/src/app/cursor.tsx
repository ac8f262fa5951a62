import { useState } from 'react';
import { Button, Flex, Select, Space, Typography } from 'antd';
import { LeftOutlined, RightOutlined } from '@ant-design/icons';
import { http, withQuery } from './api';
import { useI18n } from './i18n';
import { useLoad, Loaded } from './useLoad';
import type { CursorPage } from './types';

export const PAGE_SIZES = [10, 20, 50, 100];

export interface CursorList<T> extends Loaded<CursorPage<T>> {
  pageIndex: number;
  limit: number;
  setLimit(n: number): void;
  next(): void;
  prev(): void;
}

type Query = Record<string, string | number | undefined | null>;

/**
 * A server-paginated list behind a cursor (`nextCursor`): the cursors of the pages seen are kept,
 * so "back" is exact; a change of the query (or of `refresh`) starts again from the first page.
 */
export function useCursorList<T>(path: string | null, query: Query, initialLimit = 20, refresh?: unknown): CursorList<T> {
  const [limit, setLimitState] = useState(initialLimit);
  const key = `${path}|${JSON.stringify(query)}|${limit}|${String(refresh ?? '')}`;
  const [pager, setPager] = useState<{ key: string; cursors: (string | undefined)[] }>({ key, cursors: [undefined] });
  const cursors = pager.key === key ? pager.cursors : [undefined];
  const pageIndex = cursors.length - 1;
  const cursor = cursors[pageIndex];
  const loaded = useLoad<CursorPage<T>>(
    (signal) => (path ? http.get<CursorPage<T>>(withQuery(path, { ...query, limit, cursor }), { signal }) : Promise.resolve({ items: [], nextCursor: null })),
    [key, cursor],
  );
  return {
    ...loaded,
    pageIndex,
    limit,
    setLimit: (n) => setLimitState(n),
    next: () => {
      const c = loaded.data?.nextCursor;
      if (c) setPager({ key, cursors: [...cursors, c] });
    },
    prev: () => setPager({ key, cursors: cursors.slice(0, -1) }),
  };
}

/** "Page 2 · 20 per page · Newer / Older" under a cursor-paginated table. */
export function CursorPager<T>({ list, testId }: { list: CursorList<T>; testId?: string }) {
  const { t } = useI18n();
  if (list.pageIndex === 0 && !list.data?.nextCursor && (list.data?.items.length ?? 0) <= PAGE_SIZES[0]!) return null;
  return (
    <Flex justify="space-between" align="center" style={{ marginTop: 16 }} gap={12} wrap data-testid={testId}>
      <Typography.Text type="secondary">{t('pager.page', { n: list.pageIndex + 1 })}</Typography.Text>
      <Space wrap>
        <Select<number>
          value={list.limit}
          onChange={list.setLimit}
          options={PAGE_SIZES.map((n) => ({ value: n, label: t('pager.perPage', { n }) }))}
          style={{ width: 150 }}
        />
        <Button icon={<LeftOutlined />} disabled={list.pageIndex === 0 || list.loading} onClick={list.prev}>
          {t('pager.prev')}
        </Button>
        <Button disabled={!list.data?.nextCursor || list.loading} onClick={list.next}>
          {t('pager.next')} <RightOutlined />
        </Button>
      </Space>
    </Flex>
  );
}
