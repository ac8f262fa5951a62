import { ReactNode, useEffect } from 'react';
import { Alert, Button, Flex, Result, Space, Spin, Typography } from 'antd';
import { ClockCircleOutlined, ReloadOutlined } from '@ant-design/icons';
import { useNavigate } from 'react-router-dom';
import { useI18n } from './i18n';
import { isApiError } from './api';
import { problemMessage } from './problems';
import type { MessageKey } from './messages';

/** Sets the browser tab title for a page. */
export function useDocumentTitle(title: string): void {
  const { t } = useI18n();
  const app = t('app.title');
  useEffect(() => {
    document.title = title ? `${title} · ${app}` : app;
  }, [title, app]);
}

/** The heading row of a page: title, a line of explanation, actions on the right. */
export function PageHeader({ title, intro, extra }: { title: string; intro?: ReactNode; extra?: ReactNode }) {
  useDocumentTitle(title);
  return (
    <Flex className="page-header" justify="space-between" align="flex-start" gap={16} wrap>
      <div>
        <Typography.Title level={3} style={{ margin: 0 }}>
          {title}
        </Typography.Title>
        {intro ? (
          <Typography.Paragraph type="secondary" style={{ margin: '4px 0 0' }}>
            {intro}
          </Typography.Paragraph>
        ) : null}
      </div>
      {extra ? <Space wrap>{extra}</Space> : null}
    </Flex>
  );
}

/** A failed load: a readable reason and a way to try again. */
export function ErrorState({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  const { t } = useI18n();
  const status = isApiError(error) && error.status === 403 ? '403' : isApiError(error) && error.status === 404 ? '404' : 'warning';
  return (
    <Result
      status={status}
      title={t('error.title')}
      subTitle={problemMessage(error, t)}
      extra={
        onRetry ? (
          <Button icon={<ReloadOutlined />} onClick={onRetry}>
            {t('common.retry')}
          </Button>
        ) : undefined
      }
    />
  );
}

/** An inline problem above a form or a table. */
export function ProblemAlert({ message, onClose }: { message?: string; onClose?: () => void }) {
  if (!message) return null;
  return <Alert type="error" showIcon message={message} closable={!!onClose} onClose={onClose} style={{ marginBottom: 16 }} role="alert" />;
}

export function PageSpinner() {
  const { t } = useI18n();
  return (
    <Flex justify="center" align="center" style={{ minHeight: 240 }}>
      <Spin tip={t('common.loading')} size="large">
        <div style={{ width: 120, height: 80 }} />
      </Spin>
    </Flex>
  );
}

/** A section of the product that is planned but has no API yet: said plainly, nothing faked. */
export function ComingSoon({ titleKey }: { titleKey: MessageKey }) {
  const { t } = useI18n();
  const navigate = useNavigate();
  const section = t(titleKey);
  useDocumentTitle(section);
  return (
    <Result
      icon={<ClockCircleOutlined style={{ color: '#5b47e0' }} />}
      title={t('soon.title', { section })}
      subTitle={t('soon.text')}
      extra={
        <Button type="primary" onClick={() => navigate('/')}>
          {t('common.backHome')}
        </Button>
      }
    />
  );
}

export function NotFound() {
  const { t } = useI18n();
  const navigate = useNavigate();
  useDocumentTitle('404');
  return (
    <Result
      status="404"
      title="404"
      subTitle={t('error.notFoundPage')}
      extra={
        <Button type="primary" onClick={() => navigate('/')}>
          {t('common.backHome')}
        </Button>
      }
    />
  );
}
