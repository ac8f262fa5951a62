import { useState } from 'react';
import { useNavigate } from 'react-router-dom';
import { App, Button, Card, Form, Input, Modal, Popconfirm, Select, Space, Table, Typography } from 'antd';
import { DownloadOutlined, PlusOutlined } from '@ant-design/icons';
import { http } from '../app/api';
import { useI18n } from '../app/i18n';
import { useLoad } from '../app/useLoad';
import { ErrorState, PageHeader } from '../app/ui';
import { formatNumber } from '../app/format';
import { useMoney } from '../app/domain';

interface UtmTag {
  id: string;
  name: string;
  source: string;
  campaign: string | null;
  medium: string | null;
  formSlug: string;
  url: string;
  registrations: number;
  installs: number;
  revenueMinor: number;
}

/** UTM tags: create one, copy its link or download its QR code, and see what it brought. */
export function UtmPage() {
  const { t, lang } = useI18n();
  const { message } = App.useApp();
  const money = useMoney();
  const navigate = useNavigate();
  const tags = useLoad((signal) => http.get<{ items: UtmTag[] }>('/v1/admin/utm-tags', { signal }).then((r) => r.items), []);
  const forms = useLoad((signal) => http.get<{ slug: string; title: string; active: boolean }[]>('/v1/admin/engagement/forms', { signal }), []);
  const [creating, setCreating] = useState(false);
  const [saving, setSaving] = useState(false);
  const [form] = Form.useForm();

  const create = async () => {
    const v = (await form.validateFields()) as Record<string, string>;
    setSaving(true);
    try {
      const tag = await http.post<UtmTag>('/v1/admin/utm-tags', {
        name: v.name,
        source: v.source,
        campaign: v.campaign || null,
        medium: v.medium || null,
        formSlug: v.formSlug,
      });
      tags.setData((prev) => [tag, ...(prev ?? [])]);
      setCreating(false);
      form.resetFields();
    } catch (e) {
      message.error(e instanceof Error ? e.message : String(e));
    } finally {
      setSaving(false);
    }
  };

  return (
    <>
      <PageHeader
        title={t('section.utm')}
        intro={t('utm.intro')}
        extra={
          <Button type="primary" icon={<PlusOutlined />} onClick={() => setCreating(true)} data-testid="utm-new">
            {t('utm.new')}
          </Button>
        }
      />
      {tags.error ? (
        <ErrorState error={tags.error} onRetry={tags.reload} />
      ) : (
        <Card>
          <Table<UtmTag>
            rowKey="id"
            loading={tags.loading}
            dataSource={tags.data ?? []}
            pagination={false}
            locale={{ emptyText: t('utm.empty') }}
            data-testid="utm-table"
            columns={[
              { title: t('utm.name'), dataIndex: 'name', key: 'name' },
              {
                title: t('utm.link'),
                key: 'url',
                render: (_, r) => (
                  <Space direction="vertical" size={0}>
                    <Typography.Text code>
                      {r.source}
                      {r.campaign ? ` / ${r.campaign}` : ''}
                    </Typography.Text>
                    <Typography.Text copyable={{ text: r.url, tooltips: [t('utm.copy'), t('utm.copied')] }} type="secondary" style={{ fontSize: 12 }}>
                      {r.url}
                    </Typography.Text>
                  </Space>
                ),
              },
              { title: t('utm.registrations'), dataIndex: 'registrations', key: 'registrations', align: 'right', render: (n: number) => formatNumber(n, lang) },
              { title: t('utm.installs'), dataIndex: 'installs', key: 'installs', align: 'right', render: (n: number) => formatNumber(n, lang) },
              { title: t('utm.revenue'), dataIndex: 'revenueMinor', key: 'revenue', align: 'right', render: (n: number) => money(n) },
              {
                title: t('utm.qr'),
                key: 'qr',
                render: (_, r) => (
                  <Space>
                    <Button size="small" icon={<DownloadOutlined />} href={`/v1/admin/utm-tags/${r.id}/qr.svg`} data-testid="utm-qr-svg">
                      SVG
                    </Button>
                    <Button size="small" icon={<DownloadOutlined />} href={`/v1/admin/utm-tags/${r.id}/qr.png`}>
                      PNG
                    </Button>
                  </Space>
                ),
              },
              {
                key: 'actions',
                render: (_, r) => (
                  <Space>
                    <Button
                      size="small"
                      type="link"
                      onClick={() =>
                        navigate(
                          `/clients/guests?utmSource=${encodeURIComponent(r.source)}${r.campaign ? `&utmCampaign=${encodeURIComponent(r.campaign)}` : ''}`,
                        )
                      }
                    >
                      {t('utm.guests')}
                    </Button>
                    <Popconfirm
                      title={t('utm.deleteConfirm')}
                      onConfirm={async () => {
                        await http.delete(`/v1/admin/utm-tags/${r.id}`);
                        tags.setData((prev) => (prev ?? []).filter((x) => x.id !== r.id));
                      }}
                    >
                      <Button size="small" danger type="link">
                        {t('utm.delete')}
                      </Button>
                    </Popconfirm>
                  </Space>
                ),
              },
            ]}
          />
        </Card>
      )}
      <Modal
        open={creating}
        title={t('utm.new')}
        onCancel={() => setCreating(false)}
        onOk={create}
        okText={t('utm.create')}
        confirmLoading={saving}
        destroyOnHidden
      >
        <Form form={form} layout="vertical" data-testid="utm-form">
          <Form.Item name="name" label={t('utm.name')} rules={[{ required: true }]}>
            <Input maxLength={100} id="utm-name" />
          </Form.Item>
          <Form.Item name="source" label={t('utm.source')} rules={[{ required: true, pattern: /^[A-Za-z0-9._~-]+$/ }]}>
            <Input maxLength={100} id="utm-source" />
          </Form.Item>
          <Form.Item name="campaign" label={t('utm.campaign')} rules={[{ pattern: /^[A-Za-z0-9._~-]+$/ }]}>
            <Input maxLength={100} id="utm-campaign" />
          </Form.Item>
          <Form.Item name="medium" label={t('utm.medium')} rules={[{ pattern: /^[A-Za-z0-9._~-]+$/ }]}>
            <Input maxLength={100} id="utm-medium" />
          </Form.Item>
          <Form.Item name="formSlug" label={t('utm.form')} rules={[{ required: true }]}>
            <Select
              id="utm-form-slug"
              loading={forms.loading}
              options={(forms.data ?? []).filter((f) => f.active).map((f) => ({ value: f.slug, label: `${f.title} (/join/${f.slug})` }))}
            />
          </Form.Item>
        </Form>
      </Modal>
    </>
  );
}
