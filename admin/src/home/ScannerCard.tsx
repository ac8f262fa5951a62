import { Button, Card, Flex, Typography } from 'antd';
import { ScanOutlined } from '@ant-design/icons';
import { withQuery } from '../app/api';
import { useI18n } from '../app/i18n';

/** Where the web scanner lives on this hub (same origin as the console). */
export const scannerUrl = () => `${window.location.origin}/scanner`;

/** The web scanner for a till without an integration: its address, a button and a QR code to open it on the till's tablet. */
export function ScannerCard({ compact = false }: { compact?: boolean }) {
  const { t } = useI18n();
  const url = scannerUrl();
  return (
    <Card title={t('home.scanner')} data-testid="scanner-card" size={compact ? 'small' : 'default'}>
      <Flex gap={16} align="center" wrap>
        <img
          src={withQuery('/v1/admin/qr', { url, format: 'svg' })}
          alt={url}
          width={compact ? 96 : 128}
          height={compact ? 96 : 128}
          data-testid="scanner-qr"
        />
        <Flex vertical gap={8} style={{ flex: '1 1 200px' }}>
          <Typography.Text type="secondary">{t('home.scanner.text')}</Typography.Text>
          <Typography.Text copyable={{ text: url }} style={{ whiteSpace: 'nowrap' }}>
            {url.replace(/^https?:\/\//, '')}
          </Typography.Text>
          <Button type="primary" icon={<ScanOutlined />} href="/scanner" target="_blank" data-testid="open-scanner">
            {t('home.scanner.open')}
          </Button>
        </Flex>
      </Flex>
    </Card>
  );
}
