import { useMemo, useState } from 'react';
import { App, Button, Card, Form, Input, Modal, Popconfirm, Table, Typography } from 'antd';
import type { TableColumnsType } from 'antd';
import { DeleteOutlined, PlusOutlined, SearchOutlined } from '@ant-design/icons';
import { http } from '../app/api';
import { useI18n } from '../app/i18n';
import { useMe } from '../app/session';
import { useLoad } from '../app/useLoad';
import { allows, ROLE_SETS } from '../app/roles';
import { applyProblem, problemMessage } from '../app/problems';
import { ErrorState, PageHeader, ProblemAlert } from '../app/ui';
import { formatDateTime } from '../app/format';
import { formatPhone } from '../app/phone';
import type { BlacklistEntry, Items } from '../app/types';

function AddModal({ onClose, onDone }: { onClose: () => void; onDone: (e: BlacklistEntry) => void }) {
  const { t } = useI18n();
  const [form] = Form.useForm<{ phone: string; reason?: string }>();
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string>();
  const submit = async (v: { phone: string; reason?: string }) => {
    setBusy(true);
    setProblem(undefined);
    try {
      onDone(await http.post<BlacklistEntry>('/v1/admin/blacklist', { phone: v.phone, reason: v.reason?.trim() || undefined }));
    } catch (e) {
      setProblem(applyProblem(form, e, t));
      setBusy(false);
    }
  };
  return (
    <Modal
      open
      title={t('blacklist.add')}
      okText={t('common.add')}
      cancelText={t('common.cancel')}
      onOk={() => form.submit()}
      onCancel={onClose}
      confirmLoading={busy}
      destroyOnHidden
    >
      <ProblemAlert message={problem} />
      <Typography.Paragraph type="secondary">{t('blacklist.add.text')}</Typography.Paragraph>
      <Form form={form} layout="vertical" requiredMark={false} onFinish={submit} name="blacklist">
        <Form.Item name="phone" label={t('common.phone')} rules={[{ required: true, message: t('validation.required') }]}>
          <Input inputMode="tel" autoFocus placeholder="+7 999 123-45-67" />
        </Form.Item>
        <Form.Item name="reason" label={t('common.reason')}>
          <Input.TextArea maxLength={500} autoSize={{ minRows: 2, maxRows: 4 }} />
        </Form.Item>
      </Form>
    </Modal>
  );
}

/** Blacklist: phones that cannot register or use a card. */
export function BlacklistPage() {
  const { t, lang } = useI18n();
  const { staff, business } = useMe();
  const { message } = App.useApp();
  const canEdit = allows(ROLE_SETS.admins, staff.role);
  const [adding, setAdding] = useState(false);
  const [query, setQuery] = useState('');
  const { data, error, loading, reload, setData } = useLoad((signal) => http.get<Items<BlacklistEntry>>('/v1/admin/blacklist', { signal }), []);
  const rows = useMemo(() => {
    const q = query.replace(/[\s()-]/g, '').toLowerCase();
    const all = data?.items ?? [];
    return q ? all.filter((e) => e.phone.includes(q) || (e.reason ?? '').toLowerCase().includes(query.trim().toLowerCase())) : all;
  }, [data, query]);

  const remove = async (e: BlacklistEntry) => {
    try {
      await http.delete(`/v1/admin/blacklist/${e.id}`);
      setData((d) => ({ items: (d?.items ?? []).filter((x) => x.id !== e.id) }));
      void message.success(t('blacklist.removed', { phone: formatPhone(e.phone) }));
    } catch (err) {
      void message.error(problemMessage(err, t));
    }
  };

  const columns: TableColumnsType<BlacklistEntry> = [
    { title: t('common.phone'), dataIndex: 'phone', key: 'phone', render: (v: string) => <Typography.Text strong className="nowrap">{formatPhone(v)}</Typography.Text> },
    { title: t('common.reason'), dataIndex: 'reason', key: 'reason', render: (v: string | null) => v || <span className="muted">—</span> },
    { title: t('blacklist.added'), dataIndex: 'createdAt', key: 'created', width: 200, render: (v: string) => formatDateTime(v, lang, business.timezone) },
    ...(canEdit
      ? [
          {
            title: '',
            key: 'actions',
            width: 120,
            align: 'right' as const,
            render: (_: unknown, e: BlacklistEntry) => (
              <Popconfirm
                title={t('blacklist.remove.confirm', { phone: formatPhone(e.phone) })}
                description={t('blacklist.remove.text')}
                okText={t('common.remove')}
                cancelText={t('common.cancel')}
                onConfirm={() => remove(e)}
              >
                <Button size="small" icon={<DeleteOutlined />} aria-label={`${t('common.remove')} ${e.phone}`}>
                  {t('common.remove')}
                </Button>
              </Popconfirm>
            ),
          },
        ]
      : []),
  ];

  return (
    <>
      <PageHeader
        title={t('blacklist.title')}
        intro={canEdit ? t('blacklist.intro') : t('common.readOnly')}
        extra={
          canEdit ? (
            <Button type="primary" icon={<PlusOutlined />} onClick={() => setAdding(true)}>
              {t('blacklist.add')}
            </Button>
          ) : undefined
        }
      />
      {error ? (
        <ErrorState error={error} onRetry={reload} />
      ) : (
        <Card>
          <Input
            allowClear
            prefix={<SearchOutlined className="muted" />}
            placeholder={t('blacklist.search')}
            value={query}
            onChange={(e) => setQuery(e.target.value)}
            style={{ width: 320 }}
            className="toolbar"
          />
          <Table<BlacklistEntry>
            rowKey="id"
            columns={columns}
            dataSource={rows}
            loading={loading}
            pagination={{ defaultPageSize: 20, hideOnSinglePage: true, showSizeChanger: true }}
            locale={{ emptyText: t('blacklist.empty') }}
            data-testid="blacklist-table"
          />
        </Card>
      )}
      {adding ? (
        <AddModal
          onClose={() => setAdding(false)}
          onDone={(e) => {
            setAdding(false);
            setData((d) => ({ items: [e, ...(d?.items ?? [])] }));
            void message.success(t('blacklist.addedToast', { phone: formatPhone(e.phone) }));
          }}
        />
      ) : null}
    </>
  );
}
