import { useState } from 'react';
import { Link, useSearchParams } from 'react-router-dom';
import { Alert, App, Button, Card, Descriptions, Drawer, Flex, Segmented, Select, Space, Table, Typography } from 'antd';
import type { TableColumnsType } from 'antd';
import { AppleOutlined, DownloadOutlined, GoogleOutlined, LinkOutlined, PlusOutlined, ReloadOutlined } from '@ant-design/icons';
import { ApiError, http } from '../app/api';
import { useI18n } from '../app/i18n';
import { useMe } from '../app/session';
import { useLoad } from '../app/useLoad';
import { CursorPager, useCursorList } from '../app/cursor';
import { problemMessage } from '../app/problems';
import { ErrorState, PageHeader } from '../app/ui';
import { formatCardNumber, formatDate, formatDateTime } from '../app/format';
import { CardStatusTag, KindTag, useCardBalance, usePrograms } from '../app/domain';
import type { Card as LoyaltyCard } from '../app/types';
import { IssueCardModal } from './IssueCardModal';
import { formatPhone } from '../app/phone';
import { SendCardLink, useWalletInstalls, useWalletStatus, WalletInstallTags } from './WalletBits';

interface WalletLinks {
  cardPageUrl: string;
  applePassUrl: string | null;
  googleSaveUrl: string | null;
}

/** Downloads a card's Apple Wallet pass through the session; the hub's refusal is shown in words. */
async function downloadPass(card: LoyaltyCard): Promise<void> {
  const res = await fetch(`/v1/admin/cards/${card.id}/wallet/apple.pkpass`, { credentials: 'same-origin' });
  if (!res.ok) {
    const p = (await res.json().catch(() => ({}))) as { code?: string; detail?: string };
    throw new ApiError(res.status, p.code ?? `http_${res.status}`, p.detail ?? res.statusText);
  }
  const url = URL.createObjectURL(await res.blob());
  const a = document.createElement('a');
  a.href = url;
  a.download = `card-${card.number}.pkpass`;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

function CardDrawer({ card, onClose }: { card: LoyaltyCard; onClose: () => void }) {
  const { t, lang } = useI18n();
  const { business } = useMe();
  const { message } = App.useApp();
  const balance = useCardBalance();
  const [busy, setBusy] = useState(false);
  const links = useLoad((signal) => http.get<WalletLinks>(`/v1/admin/cards/${card.id}/wallet`, { signal }), [card.id]);
  const installs = useWalletInstalls([card.id]);
  const walletStatus = useWalletStatus();
  return (
    <Drawer open onClose={onClose} width={480} title={t('cards.card', { number: card.number })} data-testid="card-drawer">
      <Descriptions column={1} size="small" styles={{ label: { width: 150 } }}>
        <Descriptions.Item label={t('common.program')}>
          <Space size={4}>
            {card.programName} <KindTag kind={card.kind} />
          </Space>
        </Descriptions.Item>
        <Descriptions.Item label={t('common.status')}>
          <CardStatusTag status={card.status} />
        </Descriptions.Item>
        <Descriptions.Item label={t('cards.balance')}>{balance(card)}</Descriptions.Item>
        {card.levelName ? <Descriptions.Item label={t('card.level')}>{card.levelName}</Descriptions.Item> : null}
        <Descriptions.Item label={t('cards.guest')}>
          {card.guestId ? <Link to={`/clients/guests/${card.guestId}`}>{t('common.open')}</Link> : t('cards.bearer')}
        </Descriptions.Item>
        <Descriptions.Item label={t('cards.qr')}>
          <Typography.Text copyable className="diff-value">
            {card.qr}
          </Typography.Text>
        </Descriptions.Item>
        <Descriptions.Item label={t('card.issued')}>{formatDate(card.createdAt, lang, business.timezone)}</Descriptions.Item>
        <Descriptions.Item label={t('card.lastOperation')}>
          {card.lastOperationAt ? formatDateTime(card.lastOperationAt, lang, business.timezone) : t('common.never')}
        </Descriptions.Item>
      </Descriptions>
      <Typography.Title level={5} style={{ marginTop: 24 }}>
        {t('cards.wallet')}
      </Typography.Title>
      <Flex gap={8} wrap align="center" style={{ marginBottom: 12 }}>
        <WalletInstallTags installs={installs.of(card.id)} />
        {card.status !== 'deleted' ? <SendCardLink cardId={card.id} smsAvailable={!!walletStatus.data?.smsAvailable} /> : null}
      </Flex>
      {links.error ? (
        <Alert type="warning" showIcon message={problemMessage(links.error, t)} />
      ) : (
        <Flex vertical gap={8}>
          {links.data ? (
            <Typography.Text copyable={{ text: links.data.cardPageUrl }}>
              <a href={links.data.cardPageUrl} target="_blank" rel="noreferrer">
                <LinkOutlined /> {t('cards.page')}
              </a>
            </Typography.Text>
          ) : null}
          <Space wrap>
            <Button
              icon={<AppleOutlined />}
              loading={busy}
              disabled={card.status === 'deleted'}
              onClick={async () => {
                setBusy(true);
                try {
                  await downloadPass(card);
                } catch (e) {
                  void message.error(problemMessage(e, t));
                } finally {
                  setBusy(false);
                }
              }}
            >
              <DownloadOutlined /> {t('cards.applePass')}
            </Button>
            {links.data?.googleSaveUrl ? (
              <Button icon={<GoogleOutlined />} href={links.data.googleSaveUrl} target="_blank" rel="noreferrer">
                {t('cards.googlePass')}
              </Button>
            ) : null}
          </Space>
          {links.data && !links.data.applePassUrl ? <Typography.Text type="secondary">{t('cards.appleNotSet')}</Typography.Text> : null}
        </Flex>
      )}
    </Drawer>
  );
}

/** Cards › All cards: filter by program and status, issue a card or a bearer gift certificate. */
export function CardsPage() {
  const { t, lang } = useI18n();
  const { business } = useMe();
  const { message } = App.useApp();
  const [params, setParams] = useSearchParams();
  const programId = params.get('programId') ?? undefined;
  const status = params.get('status') ?? 'active';
  const programs = usePrograms();
  const balance = useCardBalance();
  const [issuing, setIssuing] = useState(false);
  const [open, setOpen] = useState<LoyaltyCard>();
  const list = useCursorList<LoyaltyCard>('/v1/admin/cards', { programId, status: status === 'all' ? undefined : status });
  const installs = useWalletInstalls((list.data?.items ?? []).map((c) => c.id));
  const setParam = (k: string, v: string | undefined) => {
    const next = new URLSearchParams(params);
    if (v) next.set(k, v);
    else next.delete(k);
    setParams(next, { replace: true });
  };

  const columns: TableColumnsType<LoyaltyCard> = [
    {
      title: t('card.number'),
      dataIndex: 'number',
      key: 'number',
      render: (v: string, c) => (
        <a className="diff-value card-number" onClick={() => setOpen(c)}>
          {formatCardNumber(v)}
        </a>
      ),
    },
    {
      title: t('common.program'),
      key: 'program',
      render: (_, c) => (
        <Flex gap={6} align="center" wrap>
          {c.programName} <KindTag kind={c.kind} />
        </Flex>
      ),
    },
    {
      title: t('cards.guest'),
      key: 'guest',
      render: (_, c: LoyaltyCard & { holder?: { name: string | null; phone: string | null; erased: boolean } | null }) =>
        c.guestId ? (
          <Link to={`/clients/guests/${c.guestId}`} data-testid="card-holder">
            <Flex vertical>
              <span>{c.holder?.erased ? t('guest.erasedName') : c.holder?.name || t('guest.noName')}</span>
              {c.holder?.phone ? (
                <Typography.Text type="secondary" style={{ fontSize: 12, whiteSpace: 'nowrap' }}>
                  {formatPhone(c.holder.phone)}
                </Typography.Text>
              ) : null}
            </Flex>
          </Link>
        ) : (
          <span className="muted">{t('cards.bearer')}</span>
        ),
    },
    { title: t('card.level'), dataIndex: 'levelName', key: 'level', render: (v: string | null) => v ?? <span className="muted">—</span> },
    { title: t('cards.balance'), key: 'balance', align: 'right', render: (_, c) => balance(c) },
    { title: t('common.status'), dataIndex: 'status', key: 'status', render: (s: string) => <CardStatusTag status={s} /> },
    { title: t('wallet.installed'), key: 'wallet', render: (_, c) => <WalletInstallTags installs={installs.of(c.id)} /> },
    { title: t('card.issued'), dataIndex: 'createdAt', key: 'created', render: (v: string) => formatDate(v, lang, business.timezone) },
  ];

  return (
    <>
      <PageHeader
        title={t('cards.title')}
        intro={t('cards.intro')}
        extra={
          <Button type="primary" icon={<PlusOutlined />} onClick={() => setIssuing(true)}>
            {t('cards.issue')}
          </Button>
        }
      />
      <Card>
        <Flex className="toolbar" gap={12} wrap justify="space-between">
          <Space wrap>
            <Select
              allowClear
              placeholder={t('cards.anyProgram')}
              value={programId}
              onChange={(v?: string) => setParam('programId', v)}
              loading={programs.loading}
              options={(programs.data ?? []).map((p) => ({ value: p.id, label: p.name }))}
              style={{ width: 240 }}
              data-testid="cards-program"
            />
            <Segmented
              value={status}
              onChange={(v) => setParam('status', v === 'active' ? undefined : String(v))}
              options={[
                { value: 'active', label: t('card.filter.active') },
                { value: 'blocked', label: t('card.filter.blocked') },
                { value: 'deleted', label: t('card.filter.deleted') },
                { value: 'all', label: t('common.all') },
              ]}
            />
          </Space>
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
            locale={{ emptyText: t('cards.empty') }}
            data-testid="cards-table"
            scroll={{ x: 900 }}
          />
        )}
        <CursorPager list={list} />
      </Card>
      {issuing ? (
        <IssueCardModal
          onClose={() => setIssuing(false)}
          onDone={(c) => {
            setIssuing(false);
            list.reload();
            setOpen(c);
            void message.success(t('cards.issued', { number: c.number }));
          }}
        />
      ) : null}
      {open ? <CardDrawer card={open} onClose={() => setOpen(undefined)} /> : null}
    </>
  );
}
