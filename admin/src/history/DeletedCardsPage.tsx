import { Link } from 'react-router-dom';
import { Button, Card, Flex, Table, Typography } from 'antd';
import type { TableColumnsType } from 'antd';
import { ReloadOutlined } from '@ant-design/icons';
import { useI18n } from '../app/i18n';
import { useMe } from '../app/session';
import { CursorPager, useCursorList } from '../app/cursor';
import { ErrorState, PageHeader } from '../app/ui';
import { formatCardNumber, formatDate, formatDateTime } from '../app/format';
import { KindTag, useCardBalance } from '../app/domain';
import type { Card as LoyaltyCard } from '../app/types';

/** History › Deleted cards: what was deleted, with the balance it had. */
export function DeletedCardsPage() {
  const { t, lang } = useI18n();
  const { business } = useMe();
  const balance = useCardBalance();
  const list = useCursorList<LoyaltyCard>('/v1/admin/cards', { status: 'deleted' });
  const columns: TableColumnsType<LoyaltyCard> = [
    { title: t('card.number'), dataIndex: 'number', key: 'number', render: (v: string) => <span className="diff-value card-number">{formatCardNumber(v)}</span> },
    {
      title: t('common.program'),
      key: 'program',
      render: (_, c) => (
        <Flex gap={6} align="center">
          {c.programName} <KindTag kind={c.kind} />
        </Flex>
      ),
    },
    {
      title: t('cards.guest'),
      key: 'guest',
      render: (_, c) => (c.guestId ? <Link to={`/clients/guests/${c.guestId}`}>{t('common.open')}</Link> : <span className="muted">{t('cards.bearer')}</span>),
    },
    { title: t('cards.balanceLeft'), key: 'balance', render: (_, c) => balance(c) },
    { title: t('card.issued'), dataIndex: 'createdAt', key: 'created', render: (v: string) => formatDate(v, lang, business.timezone) },
    {
      title: t('card.lastOperation'),
      dataIndex: 'lastOperationAt',
      key: 'last',
      render: (v: string | null) => (v ? formatDateTime(v, lang, business.timezone) : <span className="muted">{t('common.never')}</span>),
    },
  ];
  return (
    <>
      <PageHeader title={t('deleted.title')} intro={t('deleted.intro')} />
      <Card>
        <Flex className="toolbar" justify="flex-end">
          <Button icon={<ReloadOutlined />} onClick={list.reload} aria-label={t('common.refresh')} />
        </Flex>
        {list.error ? (
          <ErrorState error={list.error} onRetry={list.reload} />
        ) : (
          <Table<LoyaltyCard>
            rowKey="id"
            columns={columns}
            dataSource={list.data?.items ?? []}
            loading={list.loading}
            pagination={false}
            locale={{ emptyText: <Typography.Text type="secondary">{t('deleted.empty')}</Typography.Text> }}
            data-testid="deleted-table"
          />
        )}
        <CursorPager list={list} />
      </Card>
    </>
  );
}
