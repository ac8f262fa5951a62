import { useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router-dom';
import { Alert, App, Button, Card, Col, Descriptions, Dropdown, Empty, Flex, Input, Modal, Row, Space, Statistic, Table, Tabs, Tag, Typography } from 'antd';
import type { TableColumnsType } from 'antd';
import { CreditCardOutlined, DeleteOutlined, EditOutlined, LeftOutlined, MoreOutlined, PlusOutlined, ReloadOutlined } from '@ant-design/icons';
import { http } from '../app/api';
import { useI18n } from '../app/i18n';
import { useMe } from '../app/session';
import { useLoad } from '../app/useLoad';
import { allows, ROLE_SETS } from '../app/roles';
import { CursorPager, useCursorList } from '../app/cursor';
import { ErrorState, PageHeader, PageSpinner } from '../app/ui';
import { formatDate, formatDateTime, formatNumber } from '../app/format';
import { ledgerReason } from '../app/catalog';
import { formatPhone } from '../app/phone';
import { CardNumber, CardStatusTag, guestLabel, KindTag, labelOf, Money, useMoney, usePrograms } from '../app/domain';
import { problemMessage } from '../app/problems';
import type { Card as LoyaltyCard, Guest, LedgerEntry, Program } from '../app/types';
import { IssueCardModal } from '../cards/IssueCardModal';
import { CardWalletLine } from '../cards/WalletBits';
import { OperationsTable } from '../history/OperationsTable';
import { adjustableUnit, AdjustBalanceModal, CardStatusModal, LevelModal } from './CardModals';
import { EditGuestModal } from './EditGuestModal';
import { useActorLabel } from './actors';

/** A signed ledger amount in its unit: +120 points, −250,00 ₽, +1 stamp. */
function useLedgerAmount() {
  const { t, lang } = useI18n();
  const money = useMoney();
  return (unit: string, n: number, signed = true) => {
    const sign = signed ? (n > 0 ? '+' : n < 0 ? '−' : '') : n < 0 ? '−' : '';
    const abs = Math.abs(n);
    if (unit === 'minor') return `${sign}${money(abs)}`;
    if (unit === 'stamps') return `${sign}${t('ledger.stamps', { n: formatNumber(abs, lang) })}`;
    return `${sign}${t('ledger.points', { n: formatNumber(abs, lang) })}`;
  };
}

function Ledger({ card }: { card: LoyaltyCard }) {
  const { t, lang } = useI18n();
  const { business } = useMe();
  const amount = useLedgerAmount();
  const actor = useActorLabel();
  const list = useCursorList<LedgerEntry>(
    `/v1/admin/cards/${card.id}/ledger`,
    {},
    20,
    `${card.pointsBalance}|${card.giftBalanceMinor}|${card.stamps}|${card.levelCode}|${card.status}`,
  );
  const columns: TableColumnsType<LedgerEntry> = [
    {
      title: t('common.when'),
      dataIndex: 'createdAt',
      key: 'when',
      width: 170,
      render: (v: string) => <span style={{ whiteSpace: 'nowrap' }}>{formatDateTime(v, lang, business.timezone)}</span>,
    },
    { title: t('ledger.kind'), dataIndex: 'kind', key: 'kind', render: (k: string) => labelOf('ledger.kind', k, t) },
    {
      title: t('ledger.amount'),
      key: 'amount',
      align: 'right',
      render: (_, e) => <Typography.Text type={e.amount < 0 ? 'danger' : 'success'}>{amount(e.unit, e.amount)}</Typography.Text>,
    },
    { title: t('ledger.balanceAfter'), key: 'after', align: 'right', render: (_, e) => amount(e.unit, e.balanceAfter, false) },
    {
      title: t('common.reason'),
      key: 'reason',
      render: (_, e) =>
        (e.reason ? ledgerReason(lang, e.reason) : null) ??
        (e.checkoutId ? <span className="muted">{t(e.refundId ? 'ledger.fromRefund' : 'ledger.fromSale')}</span> : <span className="muted">—</span>),
    },
    { title: t('common.who'), key: 'who', render: (_, e) => actor(e.actorType, e.actorId) },
  ];
  return (
    <>
      {list.error ? (
        <ErrorState error={list.error} onRetry={list.reload} />
      ) : (
        <Table<LedgerEntry>
          rowKey="id"
          size="small"
          columns={columns}
          dataSource={list.data?.items ?? []}
          loading={list.loading}
          pagination={false}
          locale={{ emptyText: t('ledger.empty') }}
          data-testid="ledger-table"
          scroll={{ x: 760 }}
        />
      )}
      <CursorPager list={list} />
    </>
  );
}

type CardAction = { kind: 'adjust' | 'level' | 'active' | 'blocked' | 'deleted'; card: LoyaltyCard };

function CardPanel({ card, program, onAction }: { card: LoyaltyCard; program?: Program; onAction: (a: CardAction) => void }) {
  const { t, lang } = useI18n();
  const { staff, business } = useMe();
  const marketing = allows(ROLE_SETS.marketing, staff.role);
  const admin = allows(ROLE_SETS.admins, staff.role);
  const unit = adjustableUnit(card.kind);
  const live = card.status !== 'deleted';
  const more = [
    ...(admin && card.status === 'active' ? [{ key: 'blocked', label: t('card.block') }] : []),
    ...(admin && card.status === 'blocked' ? [{ key: 'active', label: t('card.unblock') }] : []),
    ...(admin && live ? [{ key: 'deleted', label: t('card.delete'), danger: true, icon: <DeleteOutlined /> }] : []),
  ];
  return (
    <>
      <Flex justify="space-between" align="flex-start" gap={16} wrap style={{ marginBottom: 16 }}>
        <Space size="large" wrap>
          {card.kind === 'bonus' ? (
            <>
              <Statistic title={t('card.points.available')} value={card.pointsAvailable} data-testid="card-points" />
              {card.pointsPending ? <Statistic title={t('card.points.pending')} value={card.pointsPending} /> : null}
              {card.pointsHeld ? <Statistic title={t('card.points.held')} value={card.pointsHeld} /> : null}
            </>
          ) : null}
          {card.kind === 'gift' ? (
            <Statistic title={t('card.gift.balance')} value={card.giftBalanceMinor} formatter={() => <Money minor={card.giftBalanceMinor} />} />
          ) : null}
          {card.kind === 'stamp' ? (
            <Statistic title={t('card.stamps')} value={card.stamps} suffix={card.stampsGoal ? `/ ${card.stampsGoal}` : undefined} />
          ) : null}
          {card.levelName ? <Statistic title={t('card.level')} value={card.levelName} /> : null}
          <Statistic title={t('guest.visits')} value={card.visits} />
          <Statistic title={t('guest.spend')} value={card.spendMinor} formatter={() => <Money minor={card.spendMinor} />} />
        </Space>
        <Space wrap>
          {marketing && unit && live ? (
            <Button icon={<EditOutlined />} onClick={() => onAction({ kind: 'adjust', card })}>
              {t('card.adjust')}
            </Button>
          ) : null}
          {marketing && live && program && program.levels.length > 0 ? (
            <Button onClick={() => onAction({ kind: 'level', card })}>{t('card.level.change')}</Button>
          ) : null}
          {more.length ? (
            <Dropdown trigger={['click']} menu={{ items: more, onClick: ({ key }) => onAction({ kind: key as CardAction['kind'], card }) }}>
              <Button icon={<MoreOutlined />} aria-label={t('common.actions')} data-testid="card-more" />
            </Dropdown>
          ) : null}
        </Space>
      </Flex>
      <Descriptions size="small" layout="vertical" column={{ xs: 1, sm: 2, lg: 3 }} style={{ marginBottom: 8 }}>
        <Descriptions.Item label={t('card.number')}>
          <CardNumber number={card.number} copyable />
        </Descriptions.Item>
        <Descriptions.Item label={t('common.program')}>
          <Space size={4}>
            {card.programName} <KindTag kind={card.kind} />
          </Space>
        </Descriptions.Item>
        <Descriptions.Item label={t('common.status')}>
          <CardStatusTag status={card.status} />
        </Descriptions.Item>
        <Descriptions.Item label={t('card.issued')}>{formatDate(card.createdAt, lang, business.timezone)}</Descriptions.Item>
        <Descriptions.Item label={t('card.lastOperation')}>
          {card.lastOperationAt ? formatDateTime(card.lastOperationAt, lang, business.timezone) : t('common.never')}
        </Descriptions.Item>
        {card.giftExpiresAt ? (
          <Descriptions.Item label={t('card.gift.expires')}>{formatDate(card.giftExpiresAt, lang, business.timezone)}</Descriptions.Item>
        ) : null}
        <Descriptions.Item label={t('wallet.installed')}>
          <CardWalletLine cardId={card.id} live={live} />
        </Descriptions.Item>
      </Descriptions>
      <Typography.Title level={5}>{t('ledger.title')}</Typography.Title>
      <Ledger card={card} />
    </>
  );
}

function EraseModal({ guest, onClose, onDone }: { guest: Guest; onClose: () => void; onDone: (g: Guest) => void }) {
  const { t } = useI18n();
  const [typed, setTyped] = useState('');
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string>();
  const word = guest.phone ?? guest.id;
  const ok = typed.replace(/\s/g, '') === word.replace(/\s/g, '');
  return (
    <Modal
      open
      title={t('guest.erase.title')}
      okText={t('guest.erase.submit')}
      okButtonProps={{ danger: true, disabled: !ok }}
      cancelText={t('common.cancel')}
      confirmLoading={busy}
      onCancel={onClose}
      onOk={async () => {
        setBusy(true);
        try {
          onDone(await http.post<Guest>(`/v1/admin/guests/${guest.id}/erase`, {}));
        } catch (e) {
          setProblem(problemMessage(e, t));
          setBusy(false);
        }
      }}
    >
      <Alert type="warning" showIcon message={t('guest.erase.warning')} style={{ marginBottom: 16 }} />
      {problem ? <Alert type="error" showIcon message={problem} style={{ marginBottom: 16 }} /> : null}
      <p>{t('guest.erase.type', { word })}</p>
      <Input value={typed} onChange={(e) => setTyped(e.target.value)} placeholder={word} data-testid="erase-confirm" autoFocus />
    </Modal>
  );
}

/** Clients › a guest: profile, cards with balances and ledgers, purchases; manual changes and erasure. */
export function GuestPage() {
  const { id = '' } = useParams();
  const { t, lang } = useI18n();
  const { staff, business } = useMe();
  const { message } = App.useApp();
  const navigate = useNavigate();
  const marketing = allows(ROLE_SETS.marketing, staff.role);
  const admin = allows(ROLE_SETS.admins, staff.role);
  const { data, error, loading, reload, setData } = useLoad(
    (signal) => http.get<{ guest: Guest; cards: LoyaltyCard[] }>(`/v1/admin/guests/${id}`, { signal }),
    [id],
  );
  const programs = usePrograms();
  const [tab, setTab] = useState<string>();
  const [action, setAction] = useState<CardAction>();
  const [editing, setEditing] = useState(false);
  const [issuing, setIssuing] = useState(false);
  const [erasing, setErasing] = useState(false);

  if (error) return <ErrorState error={error} onRetry={reload} />;
  if (!data) return <PageSpinner />;
  const { guest, cards } = data;
  const erased = guest.status === 'erased';
  const visibleCards = cards;
  const activeTab = tab && visibleCards.some((c) => c.id === tab) ? tab : (visibleCards.find((c) => c.status !== 'deleted')?.id ?? visibleCards[0]?.id);
  const replaceCard = (c: LoyaltyCard) => setData((d) => (d ? { ...d, cards: d.cards.map((x) => (x.id === c.id ? c : x)) } : d));
  const programOf = (c: LoyaltyCard) => programs.data?.find((p) => p.id === c.programId);

  return (
    <>
      <Button type="link" icon={<LeftOutlined />} onClick={() => navigate('/clients/guests')} style={{ padding: 0, marginBottom: 8 }}>
        {t('guests.title')}
      </Button>
      <PageHeader
        title={guestLabel(guest, t)}
        intro={
          <Space size={8} wrap>
            {erased ? <Tag>{t('guest.status.erased')}</Tag> : <Tag color="green">{t('guest.status.active')}</Tag>}
            <span>{t('guest.since', { date: formatDate(guest.createdAt, lang, business.timezone) })}</span>
          </Space>
        }
        extra={
          <>
            <Button icon={<ReloadOutlined />} onClick={reload} loading={loading} aria-label={t('common.refresh')} />
            {marketing && !erased ? (
              <Button icon={<EditOutlined />} onClick={() => setEditing(true)}>
                {t('guest.edit')}
              </Button>
            ) : null}
            {!erased ? (
              <Button type="primary" icon={<PlusOutlined />} onClick={() => setIssuing(true)}>
                {t('cards.issue')}
              </Button>
            ) : null}
            {admin && !erased ? (
              <Button danger icon={<DeleteOutlined />} onClick={() => setErasing(true)}>
                {t('guest.erase')}
              </Button>
            ) : null}
          </>
        }
      />
      <Row gutter={[16, 16]}>
        <Col xs={24} lg={8}>
          <Card title={t('guest.profile')} data-testid="guest-profile">
            <Descriptions column={1} size="small" colon={false} styles={{ label: { width: 140 } }}>
              <Descriptions.Item label={t('common.phone')}>{guest.phone ? <span className="nowrap">{formatPhone(guest.phone)}</span> : '—'}</Descriptions.Item>
              <Descriptions.Item label={t('common.email')}>{guest.email ?? '—'}</Descriptions.Item>
              <Descriptions.Item label={t('guest.birthday')}>{guest.birthday ? formatDate(guest.birthday, lang) : '—'}</Descriptions.Item>
              <Descriptions.Item label={t('guest.gender')}>{guest.gender ? labelOf('guest.gender', guest.gender, t) : '—'}</Descriptions.Item>
              <Descriptions.Item label={t('guest.marketing')}>
                {guest.marketingConsent ? <Tag color="green">{t('common.yes')}</Tag> : <Tag>{t('common.no')}</Tag>}
              </Descriptions.Item>
              <Descriptions.Item label={t('guest.source')}>{guest.source ? labelOf('guest.source', guest.source, t) : '—'}</Descriptions.Item>
              <Descriptions.Item label={t('guest.referralCode')}>
                <Typography.Text copyable className="diff-value">
                  {guest.referralCode}
                </Typography.Text>
              </Descriptions.Item>
              {guest.referrerGuestId ? (
                <Descriptions.Item label={t('guest.invitedBy')}>
                  <Link to={`/clients/guests/${guest.referrerGuestId}`}>{t('common.open')}</Link>
                </Descriptions.Item>
              ) : null}
              <Descriptions.Item label={t('guest.visits')}>{formatNumber(guest.visits, lang)}</Descriptions.Item>
              <Descriptions.Item label={t('guest.spend')}>
                <Money minor={guest.spendMinor} />
              </Descriptions.Item>
              <Descriptions.Item label={t('guest.lastPurchase')}>
                {guest.lastPurchaseAt ? formatDateTime(guest.lastPurchaseAt, lang, business.timezone) : t('guest.noPurchases')}
              </Descriptions.Item>
              {guest.utm
                ? Object.entries(guest.utm).map(([k, v]) => (
                    <Descriptions.Item key={k} label={`utm_${k}`}>
                      {v}
                    </Descriptions.Item>
                  ))
                : null}
              {guest.attributes
                ? Object.entries(guest.attributes).map(([k, v]) => (
                    <Descriptions.Item key={k} label={k}>
                      {String(v ?? '—')}
                    </Descriptions.Item>
                  ))
                : null}
            </Descriptions>
          </Card>
        </Col>
        <Col xs={24} lg={16}>
          <Card title={t('guest.cards')} data-testid="guest-cards">
            {visibleCards.length === 0 ? (
              <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('guest.cards.empty')}>
                {!erased ? (
                  <Button icon={<CreditCardOutlined />} onClick={() => setIssuing(true)}>
                    {t('cards.issue')}
                  </Button>
                ) : null}
              </Empty>
            ) : (
              <Tabs
                activeKey={activeTab}
                onChange={setTab}
                items={visibleCards.map((c) => ({
                  key: c.id,
                  label: (
                    <span className={c.status === 'deleted' ? 'muted' : undefined}>
                      {c.programName} · {c.number.slice(-4)}
                    </span>
                  ),
                  children: <CardPanel card={c} program={programOf(c)} onAction={setAction} />,
                }))}
              />
            )}
          </Card>
        </Col>
        <Col span={24}>
          <Card title={t('guest.purchases')}>
            <OperationsTable guestId={guest.id} hideGuest compact />
          </Card>
        </Col>
      </Row>

      {action?.kind === 'adjust' ? (
        <AdjustBalanceModal
          card={action.card}
          onClose={() => setAction(undefined)}
          onDone={(c) => {
            setAction(undefined);
            replaceCard(c);
            void message.success(t('card.adjust.done'));
          }}
        />
      ) : null}
      {action?.kind === 'level' && programOf(action.card) ? (
        <LevelModal
          card={action.card}
          program={programOf(action.card)!}
          onClose={() => setAction(undefined)}
          onDone={(c) => {
            setAction(undefined);
            replaceCard(c);
            void message.success(t('card.level.done', { level: c.levelName ?? c.levelCode ?? '' }));
          }}
        />
      ) : null}
      {action && (action.kind === 'active' || action.kind === 'blocked' || action.kind === 'deleted') ? (
        <CardStatusModal
          card={action.card}
          to={action.kind}
          onClose={() => setAction(undefined)}
          onDone={(c) => {
            setAction(undefined);
            replaceCard(c);
            void message.success(
              t(c.status === 'deleted' ? 'card.delete.done' : c.status === 'blocked' ? 'card.block.done' : 'card.unblock.done', { number: c.number }),
            );
          }}
        />
      ) : null}
      {editing ? (
        <EditGuestModal
          guest={guest}
          onClose={() => setEditing(false)}
          onDone={(g) => {
            setEditing(false);
            setData((d) => (d ? { ...d, guest: g } : d));
            void message.success(t('common.saved'));
          }}
        />
      ) : null}
      {issuing ? (
        <IssueCardModal
          guestId={guest.id}
          onClose={() => setIssuing(false)}
          onDone={(c) => {
            setIssuing(false);
            setData((d) => (d ? { ...d, cards: [c, ...d.cards] } : d));
            setTab(c.id);
            void message.success(t('cards.issued', { number: c.number }));
          }}
        />
      ) : null}
      {erasing ? (
        <EraseModal
          guest={guest}
          onClose={() => setErasing(false)}
          onDone={() => {
            setErasing(false);
            reload();
            void message.success(t('guest.erase.done'));
          }}
        />
      ) : null}
    </>
  );
}
