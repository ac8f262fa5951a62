import { useState } from 'react';
import { useNavigate } from 'react-router-dom';
import { Button, Card, Form, Input, Space } from 'antd';
import { SearchOutlined } from '@ant-design/icons';
import { http, isApiError, withQuery } from '../app/api';
import { useI18n } from '../app/i18n';
import { useMe } from '../app/session';
import { allows, ROLE_SETS } from '../app/roles';
import { problemMessage } from '../app/problems';
import { PageHeader, ProblemAlert } from '../app/ui';
import { lookupKey } from '../scanner/lookup';
import { GuestsPage } from './GuestsPage';

/**
 * A cashier's way to a guest: the exact phone or card number (or a scanned QR), as at the till —
 * never the list of the whole guest base (least privilege). Opens the guest's page when found.
 */
export function GuestLookupPage() {
  const { t } = useI18n();
  const navigate = useNavigate();
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string>();

  const find = async (v: { query: string }) => {
    const key = lookupKey(v.query);
    setProblem(undefined);
    if (!key) return setProblem(t('lookup.notFound'));
    setBusy(true);
    try {
      const r = await http.get<{ card: { id: string }; guest: { id: string } | null }>(withQuery('/v1/scanner/cards/lookup', key));
      if (r.guest) navigate(`/clients/guests/${r.guest.id}`);
      else setProblem(t('lookup.notFound'));
    } catch (e) {
      setProblem(isApiError(e) && (e.status === 404 || e.status === 400) ? t('lookup.notFound') : problemMessage(e, t));
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <PageHeader title={t('lookup.title')} intro={t('lookup.intro')} />
      <Card style={{ maxWidth: 560 }}>
        <ProblemAlert message={problem} onClose={() => setProblem(undefined)} />
        <Form layout="vertical" requiredMark={false} onFinish={find} name="guest-lookup">
          <Form.Item label={t('lookup.query')} required={false}>
            <Space.Compact style={{ width: '100%' }}>
              <Form.Item name="query" noStyle rules={[{ required: true, whitespace: true, message: t('validation.required') }]}>
                <Input prefix={<SearchOutlined className="muted" />} autoFocus data-testid="guest-lookup" aria-label={t('lookup.query')} />
              </Form.Item>
              <Button type="primary" htmlType="submit" loading={busy}>
                {t('lookup.submit')}
              </Button>
            </Space.Compact>
          </Form.Item>
        </Form>
      </Card>
    </>
  );
}

/** Clients › Guests: the list for managers, the exact look-up for cashiers (the hub enforces the same). */
export function GuestsOrLookupPage() {
  const { staff } = useMe();
  return allows(ROLE_SETS.marketing, staff.role) ? <GuestsPage /> : <GuestLookupPage />;
}
