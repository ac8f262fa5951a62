import { Button, Result } from 'antd';
import { ClockCircleOutlined } from '@ant-design/icons';
import { I18nProvider, useI18n } from '../app/i18n';

function Placeholder() {
  const { t } = useI18n();
  return (
    <Result
      icon={<ClockCircleOutlined style={{ color: '#5b47e0' }} />}
      title={t('soon.title', { section: t('scanner.title') })}
      subTitle={t('soon.text')}
      extra={
        <Button type="primary" href="/admin">
          {t('common.backHome')}
        </Button>
      }
    />
  );
}

/** What /scanner shows until the web scanner is built: an honest notice and a way to the console. */
export function ScannerPlaceholder() {
  return (
    <I18nProvider>
      <Placeholder />
    </I18nProvider>
  );
}
