import { useState } from 'react';
import { Alert, App, Button, DatePicker, Flex, Form, Input, InputNumber, Modal, Space, Switch, Table, Tag, Typography } from 'antd';
import type { TableColumnsType } from 'antd';
import { PlusOutlined, ThunderboltOutlined } from '@ant-design/icons';
import type dayjs from 'dayjs';
import { http } from '../app/api';
import { useI18n } from '../app/i18n';
import { useMe } from '../app/session';
import { allows, ROLE_SETS } from '../app/roles';
import { CursorPager, useCursorList } from '../app/cursor';
import { applyProblem, problemMessage } from '../app/problems';
import { ErrorState, ProblemAlert } from '../app/ui';
import { formatDate } from '../app/format';
import type { Coupon, Program } from '../app/types';

type Range = [dayjs.Dayjs | null, dayjs.Dayjs | null] | null;
const range = (r: Range) => ({ validFrom: r?.[0] ? r[0].startOf('day').toISOString() : null, validTo: r?.[1] ? r[1].endOf('day').toISOString() : null });

function AddCoupon({ program, onClose, onDone }: { program: Program; onClose: () => void; onDone: (c: Coupon) => void }) {
  const { t } = useI18n();
  const [form] = Form.useForm<{ code: string; maxUses?: number; validity?: Range; note?: string }>();
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string>();
  const multi = program.rules.usage === 'multi';
  return (
    <Modal
      open
      title={t('coupons.add')}
      okText={t('common.add')}
      cancelText={t('common.cancel')}
      onOk={() => form.submit()}
      onCancel={onClose}
      confirmLoading={busy}
      destroyOnHidden
    >
      <ProblemAlert message={problem} />
      <Form
        form={form}
        layout="vertical"
        requiredMark={false}
        name="coupon"
        onFinish={async (v) => {
          setBusy(true);
          setProblem(undefined);
          try {
            onDone(
              await http.post<Coupon>(`/v1/admin/programs/${program.id}/coupons`, {
                code: v.code.trim(),
                maxUses: multi ? (v.maxUses ?? null) : undefined,
                ...range(v.validity ?? null),
                note: v.note?.trim() || undefined,
              }),
            );
          } catch (e) {
            setProblem(applyProblem(form, e, t));
            setBusy(false);
          }
        }}
      >
        <Form.Item
          name="code"
          label={t('coupons.code')}
          rules={[
            { required: true, message: t('validation.required') },
            { pattern: /^[A-Za-z0-9_-]{3,64}$/, message: t('coupons.code.help') },
          ]}
        >
          <Input autoFocus maxLength={64} placeholder="SPRING10" />
        </Form.Item>
        {multi ? (
          <Form.Item name="maxUses" label={t('rules.coupon.maxUses')}>
            <InputNumber min={1} precision={0} style={{ width: '100%' }} placeholder={t('common.noLimit')} />
          </Form.Item>
        ) : null}
        <Form.Item name="validity" label={t('rules.coupon.validity')}>
          <DatePicker.RangePicker allowEmpty={[true, true]} format="DD.MM.YYYY" style={{ width: '100%' }} />
        </Form.Item>
        <Form.Item name="note" label={t('coupons.note')}>
          <Input maxLength={200} />
        </Form.Item>
      </Form>
    </Modal>
  );
}

function Generate({ program, onClose, onDone }: { program: Program; onClose: () => void; onDone: () => void }) {
  const { t } = useI18n();
  const fmt = (program.rules.codeFormat as { prefix?: string; length?: number } | undefined) ?? {};
  const [form] = Form.useForm<{ count: number; prefix?: string; length?: number; validity?: Range; note?: string }>();
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string>();
  const [codes, setCodes] = useState<string[]>();
  if (codes) {
    return (
      <Modal open title={t('coupons.generated', { n: codes.length })} onCancel={onDone} footer={<Button onClick={onDone}>{t('common.close')}</Button>}>
        <Typography.Paragraph type="secondary">{t('coupons.generated.text')}</Typography.Paragraph>
        <Typography.Paragraph
          copyable={{ text: codes.join('\n') }}
          className="key-box"
          style={{ maxHeight: 240, overflow: 'auto' }}
          data-testid="generated-codes"
        >
          {codes.slice(0, 200).join('  ')}
          {codes.length > 200 ? ' …' : ''}
        </Typography.Paragraph>
      </Modal>
    );
  }
  return (
    <Modal
      open
      title={t('coupons.generate')}
      okText={t('coupons.generate.submit')}
      cancelText={t('common.cancel')}
      onOk={() => form.submit()}
      onCancel={onClose}
      confirmLoading={busy}
      destroyOnHidden
    >
      <ProblemAlert message={problem} />
      <Form
        form={form}
        layout="vertical"
        requiredMark={false}
        name="generate"
        initialValues={{ count: 100, prefix: fmt.prefix ?? '', length: fmt.length ?? 8 }}
        onFinish={async (v) => {
          setBusy(true);
          setProblem(undefined);
          try {
            const r = await http.post<{ count: number; codes: string[] }>(`/v1/admin/programs/${program.id}/coupons/generate`, {
              count: v.count,
              prefix: v.prefix?.trim().toUpperCase() || undefined,
              length: v.length,
              ...range(v.validity ?? null),
              note: v.note?.trim() || undefined,
            });
            setCodes(r.codes);
          } catch (e) {
            setProblem(applyProblem(form, e, t));
          } finally {
            setBusy(false);
          }
        }}
      >
        <Space size="middle" wrap>
          <Form.Item name="count" label={t('coupons.count')} rules={[{ required: true, message: t('validation.required') }]}>
            <InputNumber min={1} max={100000} precision={0} style={{ width: 140 }} />
          </Form.Item>
          <Form.Item name="prefix" label={t('rules.coupon.prefix')}>
            <Input maxLength={16} style={{ width: 140, textTransform: 'uppercase' }} />
          </Form.Item>
          <Form.Item name="length" label={t('rules.coupon.length')}>
            <InputNumber min={6} max={20} precision={0} style={{ width: 100 }} />
          </Form.Item>
        </Space>
        <Form.Item name="validity" label={t('rules.coupon.validity')}>
          <DatePicker.RangePicker allowEmpty={[true, true]} format="DD.MM.YYYY" style={{ width: '100%' }} />
        </Form.Item>
        <Form.Item name="note" label={t('coupons.note')}>
          <Input maxLength={200} />
        </Form.Item>
      </Form>
    </Modal>
  );
}

/** Codes of a coupon program: list, add one, generate in bulk, switch a code off or on. */
export function CouponCodes({ program }: { program: Program }) {
  const { t, lang } = useI18n();
  const { staff, business } = useMe();
  const { message } = App.useApp();
  const canEdit = allows(ROLE_SETS.marketing, staff.role);
  const [dialog, setDialog] = useState<'add' | 'generate'>();
  const list = useCursorList<Coupon>(`/v1/admin/programs/${program.id}/coupons`, {}, 20);

  const toggle = async (c: Coupon, on: boolean) => {
    try {
      const next = await http.post<Coupon>(`/v1/admin/coupons/${c.id}/status`, { status: on ? 'active' : 'disabled' });
      list.setData((d) => (d ? { ...d, items: d.items.map((x) => (x.id === c.id ? next : x)) } : d));
    } catch (e) {
      void message.error(problemMessage(e, t));
    }
  };

  const columns: TableColumnsType<Coupon> = [
    {
      title: t('coupons.code'),
      dataIndex: 'code',
      key: 'code',
      render: (v: string) => (
        <Typography.Text copyable strong className="diff-value">
          {v}
        </Typography.Text>
      ),
    },
    { title: t('coupons.uses'), key: 'uses', render: (_, c) => (c.maxUses ? `${c.uses} / ${c.maxUses}` : c.uses) },
    {
      title: t('rules.coupon.validity'),
      key: 'valid',
      render: (_, c) =>
        c.validFrom || c.validTo ? (
          `${formatDate(c.validFrom, lang, business.timezone)} — ${formatDate(c.validTo, lang, business.timezone)}`
        ) : (
          <span className="muted">{t('coupons.always')}</span>
        ),
    },
    { title: t('coupons.note'), dataIndex: 'note', key: 'note', render: (v: string | null) => v ?? <span className="muted">—</span> },
    { title: t('common.created'), dataIndex: 'createdAt', key: 'created', render: (v: string) => formatDate(v, lang, business.timezone) },
    {
      title: t('common.status'),
      key: 'status',
      render: (_, c) =>
        canEdit && c.status !== 'used' ? (
          <Switch size="small" checked={c.status === 'active'} onChange={(on) => void toggle(c, on)} aria-label={`${c.code}`} />
        ) : (
          <Tag>{c.status}</Tag>
        ),
    },
  ];

  return (
    <>
      {program.rules.usage === 'multi' ? <Alert type="info" showIcon message={t('coupons.multi')} style={{ marginBottom: 16 }} /> : null}
      {canEdit ? (
        <Flex gap={8} className="toolbar">
          <Button icon={<PlusOutlined />} onClick={() => setDialog('add')}>
            {t('coupons.add')}
          </Button>
          <Button icon={<ThunderboltOutlined />} onClick={() => setDialog('generate')}>
            {t('coupons.generate')}
          </Button>
        </Flex>
      ) : null}
      {list.error ? (
        <ErrorState error={list.error} onRetry={list.reload} />
      ) : (
        <Table<Coupon>
          rowKey="id"
          columns={columns}
          dataSource={list.data?.items ?? []}
          loading={list.loading}
          pagination={false}
          locale={{ emptyText: t('coupons.empty') }}
          data-testid="coupons-table"
        />
      )}
      <CursorPager list={list} />
      {dialog === 'add' ? (
        <AddCoupon
          program={program}
          onClose={() => setDialog(undefined)}
          onDone={(c) => {
            setDialog(undefined);
            list.reload();
            void message.success(t('coupons.added', { code: c.code }));
          }}
        />
      ) : null}
      {dialog === 'generate' ? (
        <Generate
          program={program}
          onClose={() => setDialog(undefined)}
          onDone={() => {
            setDialog(undefined);
            list.reload();
          }}
        />
      ) : null}
    </>
  );
}
