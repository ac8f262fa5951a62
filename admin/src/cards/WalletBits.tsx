import { useState } from 'react';
import { Link } from 'react-router-dom';
import { Alert, App, Button, Dropdown, Space, Tag, Tooltip } from 'antd';
import { AppleOutlined, CopyOutlined, GoogleOutlined, MessageOutlined, SendOutlined } from '@ant-design/icons';
import { http } from '../app/api';
import { useI18n } from '../app/i18n';
import { useLoad } from '../app/useLoad';
import { walletProblem, type WalletStatus } from '../settings/WalletPages';

/** Where a card is installed (GET /v1/admin/wallet/installs). */
export interface CardInstalls {
  cardId: string;
  apple: number;
  google: boolean;
}

/** Whether Apple / Google Wallet is set up, and whether the hub can send an SMS. */
export function useWalletStatus() {
  return useLoad((signal) => http.get<WalletStatus>('/v1/admin/wallet/status', { signal }), []);
}

/** Installs of the cards on screen (one call for a page of up to 100 cards). */
export function useWalletInstalls(cardIds: string[]) {
  const key = cardIds.slice(0, 100).join(',');
  const res = useLoad(
    async (signal) =>
      key ? (await http.get<{ items: CardInstalls[] }>(`/v1/admin/wallet/installs?cardIds=${key}`, { signal })).items : ([] as CardInstalls[]),
    [key],
  );
  const byCard = new Map((res.data ?? []).map((i) => [i.cardId, i]));
  return { loading: res.loading, of: (id: string) => byCard.get(id) };
}

/** Apple / Google tags for a card, or «not installed». */
export function WalletInstallTags({ installs }: { installs: CardInstalls | undefined }) {
  const { t } = useI18n();
  if (!installs) return <span className="muted">—</span>;
  if (!installs.apple && !installs.google)
    return (
      <span className="muted" data-testid="wallet-installs">
        {t('wallet.installed.none')}
      </span>
    );
  return (
    <Space size={4} wrap data-testid="wallet-installs">
      {installs.apple ? (
        <Tooltip title={t('wallet.installed.appleDevices', { count: installs.apple })}>
          <Tag icon={<AppleOutlined />} color="default">
            {t('wallet.installed.apple')}
          </Tag>
        </Tooltip>
      ) : null}
      {installs.google ? (
        <Tag icon={<GoogleOutlined />} color="blue">
          {t('wallet.installed.google')}
        </Tag>
      ) : null}
    </Space>
  );
}

/** "Send the card link": copy it, or text it to the guest when the hub has an SMS provider. */
export function SendCardLink({ cardId, smsAvailable, disabled }: { cardId: string; smsAvailable: boolean; disabled?: boolean }) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const [busy, setBusy] = useState(false);
  const copy = async () => {
    try {
      const links = await http.get<{ cardPageUrl: string }>(`/v1/admin/cards/${cardId}/wallet`);
      await navigator.clipboard.writeText(links.cardPageUrl);
      void message.success(t('wallet.sendLink.copied'));
    } catch (e) {
      void message.error(walletProblem(e, t));
    }
  };
  const sms = async () => {
    setBusy(true);
    try {
      const res = await http.post<{ to: string }>(`/v1/admin/cards/${cardId}/wallet/send-link`, {});
      void message.success(t('wallet.sendLink.sent', { to: res.to.replace(/^…/, '') }));
    } catch (e) {
      void message.error(walletProblem(e, t));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Dropdown
      trigger={['click']}
      disabled={disabled}
      menu={{
        items: [
          { key: 'copy', icon: <CopyOutlined />, label: t('wallet.sendLink.copy') },
          {
            key: 'sms',
            icon: <MessageOutlined />,
            disabled: !smsAvailable,
            label: smsAvailable ? t('wallet.sendLink.sms') : <Tooltip title={t('wallet.sendLink.noSms')}>{t('wallet.sendLink.sms')}</Tooltip>,
          },
        ],
        onClick: ({ key }) => void (key === 'copy' ? copy() : sms()),
      }}
    >
      <Button size="small" icon={<SendOutlined />} loading={busy} data-testid="wallet-send-link">
        {t('wallet.sendLink')}
      </Button>
    </Dropdown>
  );
}

/** The designer's warning while neither wallet is set up. */
export function WalletNotConfiguredAlert() {
  const { t } = useI18n();
  const status = useWalletStatus();
  if (!status.data || status.data.configured) return null;
  return (
    <Alert
      type="warning"
      showIcon
      style={{ marginBottom: 16 }}
      data-testid="wallet-not-configured"
      message={t('wallet.designer.notConfigured')}
      action={
        <Link to="/settings/apple-wallet">
          <Button size="small">{t('wallet.designer.setUp')}</Button>
        </Link>
      }
    />
  );
}

/** One card's wallet line (the guest profile): where it is installed, and "send the card link". */
export function CardWalletLine({ cardId, live }: { cardId: string; live: boolean }) {
  const installs = useWalletInstalls([cardId]);
  const status = useWalletStatus();
  return (
    <Space size={8} wrap>
      <WalletInstallTags installs={installs.of(cardId)} />
      {live ? <SendCardLink cardId={cardId} smsAvailable={!!status.data?.smsAvailable} /> : null}
    </Space>
  );
}
