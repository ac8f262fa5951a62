import { Alert, Button, Space } from 'antd';
import { useNavigate } from 'react-router-dom';
import { http } from '../app/api';
import { useI18n } from '../app/i18n';
import { useLoad } from '../app/useLoad';
import type { MessageKey } from '../app/messages';

/** The console's words for each notice (the hub's `detail` is for logs and the API). */
const NOTICE: Record<EngagementNotice['code'], MessageKey> = {
  sms_budget_exhausted: 'home.notice.smsBudget',
  sms_verification_off: 'home.notice.smsOff',
  sms_provider_missing: 'home.notice.smsProvider',
  sms_dev_outbox: 'home.notice.smsDev',
};

/** A warning from the hub's engagement module (GET /v1/admin/engagement/notices). */
export interface EngagementNotice {
  code: 'sms_budget_exhausted' | 'sms_verification_off' | 'sms_provider_missing' | 'sms_dev_outbox';
  severity: 'error' | 'warning';
  detail: string;
  formId?: string;
  slug?: string;
}

/**
 * Alerts at the top of Home: today's SMS budget is spent (registration by SMS is paused; a sudden
 * spike is usually SMS pumping), and registration pages that do not verify phones by SMS.
 */
export function EngagementNotices() {
  const { t } = useI18n();
  const navigate = useNavigate();
  const { data } = useLoad((signal) => http.get<EngagementNotice[]>('/v1/admin/engagement/notices', { signal }), []);
  if (!data?.length) return null;
  return (
    <Space direction="vertical" style={{ width: '100%', marginBottom: 16 }} data-testid="engagement-notices">
      {data.map((n) => (
        <Alert
          key={`${n.code}:${n.formId ?? ''}`}
          type={n.severity}
          showIcon
          data-testid={`notice-${n.code}`}
          message={t(NOTICE[n.code], { slug: n.slug ?? '' })}
          description={t(`${NOTICE[n.code]}.text` as MessageKey)}
          action={
            <Button size="small" onClick={() => navigate('/forms')}>
              {t('home.notice.open')}
            </Button>
          }
        />
      ))}
    </Space>
  );
}
