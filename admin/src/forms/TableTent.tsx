import { Alert, Button, Drawer, Flex, Space, Typography } from 'antd';
import { DownloadOutlined, PrinterOutlined } from '@ant-design/icons';
import { withQuery } from '../app/api';
import { useI18n } from '../app/i18n';
import { useMe } from '../app/session';

/** What the table tent needs of a registration form. */
export interface TentForm {
  slug: string;
  url: string;
  title: string;
  description: string | null;
}

/** The QR code of a form's page from the hub's one generator (`GET /v1/admin/qr`), with UTM tags saying it came from the table. */
export function formQrUrl(form: TentForm, format: 'svg' | 'png'): string {
  const page = new URL(form.url);
  page.searchParams.set('utm_source', 'table_tent');
  page.searchParams.set('utm_medium', 'qr');
  return withQuery('/v1/admin/qr', { url: page.toString(), format, ...(format === 'png' ? { size: 1024 } : {}) });
}

/**
 * The printable A6 table tent (105 × 148 mm) of a form: the business, an offer in large type, the QR
 * code and the short address for those who type it. Sized in millimetres, so it prints at its size;
 * the print stylesheet hides the console around it.
 */
export function TableTent({ form }: { form: TentForm }) {
  const { t } = useI18n();
  const { business } = useMe();
  const short = form.url.replace(/^https?:\/\//, '');
  return (
    <div className="table-tent" data-testid="table-tent">
      <div className="table-tent-business">{business.name}</div>
      <div className="table-tent-title">{form.title}</div>
      <div className="table-tent-text">{form.description || t('forms.tent.offer')}</div>
      <img className="table-tent-qr" src={formQrUrl(form, 'svg')} alt={t('forms.qr.alt', { title: form.title })} data-testid="table-tent-qr" />
      <div className="table-tent-hint">{t('forms.tent.hint')}</div>
      <div className="table-tent-url">{short}</div>
    </div>
  );
}

/** A form's QR code (PNG for messengers and print shops, SVG for a designer) and its table tent, ready to print. */
export function QrDrawer({ form, onClose }: { form: TentForm; onClose: () => void }) {
  const { t } = useI18n();
  const file = `qr-${form.slug}`;
  return (
    <Drawer open onClose={onClose} width={620} title={t('forms.qr.title', { title: form.title })} rootClassName="table-tent-drawer">
      <Flex vertical gap={16}>
        <Typography.Paragraph type="secondary" style={{ margin: 0 }}>
          {t('forms.qr.text')}
        </Typography.Paragraph>
        <Space wrap>
          <Button type="primary" icon={<PrinterOutlined />} onClick={() => window.print()} data-testid="tent-print">
            {t('forms.tent.print')}
          </Button>
          <Button icon={<DownloadOutlined />} href={formQrUrl(form, 'png')} download={`${file}.png`} data-testid="qr-png">
            {t('forms.qr.png')}
          </Button>
          <Button icon={<DownloadOutlined />} href={formQrUrl(form, 'svg')} download={`${file}.svg`} data-testid="qr-svg">
            {t('forms.qr.svg')}
          </Button>
        </Space>
        <Alert type="info" showIcon message={t('forms.tent.help')} />
        <div className="table-tent-stage">
          <TableTent form={form} />
        </div>
      </Flex>
    </Drawer>
  );
}
