import { useEffect, useState } from 'react';
import { Alert, App, Button, Card, Checkbox, Col, Form, Input, Rate, Row, Select, Space, Switch, Table, Typography } from 'antd';
import { http, withQuery } from '../app/api';
import { useI18n } from '../app/i18n';
import { useMe } from '../app/session';
import { useLoad } from '../app/useLoad';
import { allows, ROLE_SETS } from '../app/roles';
import { ErrorState, PageHeader } from '../app/ui';
import { formatDateTime } from '../app/format';
import type { MessageKey } from '../app/messages';

interface Settings {
  yandexUrl: string | null;
  twogisUrl: string | null;
  googleUrl: string | null;
  onlyHighRatings: boolean;
  gatingWarning: string;
  links: { pass: string; notification: string; page: string };
}
interface Review {
  id: string;
  rating: number;
  text: string | null;
  channel: string;
  offeredMap: string | null;
  createdAt: string;
}

/** Reviews: where reviewers are sent, the links to put on cards and notifications, and the reviews. */
export function ReviewsPage() {
  const { t, lang } = useI18n();
  const { staff, business } = useMe();
  const { message } = App.useApp();
  const canEdit = allows(ROLE_SETS.admins, staff.role);
  const settings = useLoad((signal) => http.get<Settings>('/v1/admin/reviews/settings', { signal }), []);
  const [rating, setRating] = useState<string[]>([]);
  const reviews = useLoad(
    (signal) =>
      http.get<{ items: Review[] }>(withQuery('/v1/admin/reviews', { rating: rating.join(',') || undefined, limit: 200 }), { signal }).then((r) => r.items),
    [rating.join(',')],
  );
  const [form] = Form.useForm();
  const gating = Form.useWatch('onlyHighRatings', form) as boolean | undefined;
  const [acknowledged, setAcknowledged] = useState(false);
  const [saving, setSaving] = useState(false);
  useEffect(() => {
    if (settings.data) form.setFieldsValue({ ...settings.data });
  }, [settings.data, form]);

  const save = async () => {
    const v = (await form.validateFields()) as Settings;
    setSaving(true);
    try {
      const s = await http.put<Settings>('/v1/admin/reviews/settings', {
        yandexUrl: v.yandexUrl || null,
        twogisUrl: v.twogisUrl || null,
        googleUrl: v.googleUrl || null,
        onlyHighRatings: !!v.onlyHighRatings,
        ...(v.onlyHighRatings ? { acknowledgeGating: acknowledged } : {}),
      });
      settings.setData(() => s);
      message.success(t('reviews.saved'));
    } catch (e) {
      message.error(e instanceof Error ? e.message : String(e));
    } finally {
      setSaving(false);
    }
  };

  if (settings.error) return <ErrorState error={settings.error} onRetry={settings.reload} />;
  const s = settings.data;
  const https = [
    { type: 'url' as const, warningOnly: false },
    { pattern: /^https:\/\//, message: 'https://' },
  ];
  return (
    <>
      <PageHeader
        title={t('section.reviews')}
        intro={t('reviews.intro')}
        extra={
          <Button href={withQuery('/v1/admin/exports/reviews.csv', { rating: rating.join(',') || undefined })} data-testid="reviews-export">
            {t('export.csv')}
          </Button>
        }
      />
      <Row gutter={[16, 16]}>
        <Col xs={24} lg={12}>
          <Card title={t('reviews.maps')} loading={!s} data-testid="reviews-settings">
            <Form form={form} layout="vertical" disabled={!canEdit}>
              <Typography.Paragraph type="secondary">{t('reviews.default')}</Typography.Paragraph>
              <Form.Item name="yandexUrl" label={t('reviews.yandex')} rules={https}>
                <Input placeholder="https://yandex.ru/maps/org/…" id="reviews-yandex" />
              </Form.Item>
              <Form.Item name="twogisUrl" label={t('reviews.twogis')} rules={https}>
                <Input placeholder="https://2gis.ru/…" id="reviews-2gis" />
              </Form.Item>
              <Form.Item name="googleUrl" label={t('reviews.google')} rules={https}>
                <Input placeholder="https://maps.google.com/…" id="reviews-google" />
              </Form.Item>
              <Form.Item name="onlyHighRatings" label={t('reviews.gating')} valuePropName="checked">
                <Switch data-testid="reviews-gating" />
              </Form.Item>
              {gating && !s?.onlyHighRatings ? (
                <Alert
                  type="warning"
                  showIcon
                  message={s?.gatingWarning}
                  description={
                    <Checkbox checked={acknowledged} onChange={(e) => setAcknowledged(e.target.checked)} data-testid="reviews-gating-ack">
                      {t('reviews.gatingConfirm')}
                    </Checkbox>
                  }
                  style={{ marginBottom: 16 }}
                  data-testid="reviews-gating-warning"
                />
              ) : null}
              {canEdit ? (
                <Button type="primary" onClick={save} loading={saving} disabled={!!gating && !s?.onlyHighRatings && !acknowledged} data-testid="reviews-save">
                  {t('reviews.save')}
                </Button>
              ) : null}
            </Form>
          </Card>
        </Col>
        <Col xs={24} lg={12}>
          <Card title={t('reviews.links')} loading={!s}>
            {s ? (
              <Space direction="vertical" style={{ width: '100%' }}>
                <Typography.Text strong>{t('reviews.link.pass')}</Typography.Text>
                <Typography.Text copyable code data-testid="reviews-link-pass">
                  {s.links.pass}
                </Typography.Text>
                <Typography.Text strong>{t('reviews.link.notification')}</Typography.Text>
                <Typography.Text copyable code>
                  {s.links.notification}
                </Typography.Text>
              </Space>
            ) : null}
          </Card>
        </Col>
      </Row>
      <Card
        title={t('reviews.list')}
        style={{ marginTop: 16 }}
        extra={
          <Select
            mode="multiple"
            allowClear
            placeholder={t('reviews.filter')}
            value={rating}
            onChange={setRating}
            style={{ minWidth: 160 }}
            options={[5, 4, 3, 2, 1].map((n) => ({ value: String(n), label: `${n}★` }))}
            data-testid="reviews-filter"
          />
        }
      >
        {reviews.error ? (
          <ErrorState error={reviews.error} onRetry={reviews.reload} />
        ) : (
          <Table<Review>
            rowKey="id"
            loading={reviews.loading}
            dataSource={reviews.data ?? []}
            pagination={{ pageSize: 20 }}
            data-testid="reviews-table"
            columns={[
              { title: t('reviews.date'), dataIndex: 'createdAt', key: 'date', render: (v: string) => formatDateTime(v, lang, business.timezone) },
              { title: t('reviews.rating'), dataIndex: 'rating', key: 'rating', render: (v: number) => <Rate disabled value={v} style={{ fontSize: 14 }} /> },
              { title: t('reviews.text'), dataIndex: 'text', key: 'text', render: (v: string | null) => v ?? '—' },
              { title: t('reviews.channel'), dataIndex: 'channel', key: 'channel', render: (v: string) => t(`reviews.channel.${v}` as MessageKey) },
              { title: t('reviews.map'), dataIndex: 'offeredMap', key: 'map', render: (v: string | null) => v ?? '—' },
            ]}
          />
        )}
      </Card>
    </>
  );
}
