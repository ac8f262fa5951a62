import { useState } from 'react';
import { Form, Input, Modal, Radio, Select } from 'antd';
import { http } from '../app/api';
import { useI18n } from '../app/i18n';
import { useMe } from '../app/session';
import { applyProblem } from '../app/problems';
import { ProblemAlert } from '../app/ui';
import { currencyDigits, currencySymbol, parseMoney } from '../app/money';
import { useCardBalance } from '../app/domain';
import type { Card, Program } from '../app/types';

type Unit = 'points' | 'minor' | 'stamps';

/** The balance a card keeps by hand: points (bonus), money (gift certificate), stamps (stamp card). */
export function adjustableUnit(kind: string): Unit | null {
  return kind === 'bonus' ? 'points' : kind === 'gift' ? 'minor' : kind === 'stamp' ? 'stamps' : null;
}

interface AdjustForm {
  direction: 'add' | 'subtract';
  amount: string;
  reason: string;
}

/** Manual balance change with a reason: the hub audits it and limits it per employee per day. */
export function AdjustBalanceModal({ card, onClose, onDone }: { card: Card; onClose: () => void; onDone: (c: Card) => void }) {
  const { t, lang } = useI18n();
  const { business } = useMe();
  const [form] = Form.useForm<AdjustForm>();
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string>();
  const balance = useCardBalance();
  const unit = adjustableUnit(card.kind)!;
  const digits = currencyDigits(business.currency);

  const toAmount = (s: string): number | null => {
    if (unit === 'minor') return parseMoney(s, digits);
    return /^\d{1,9}$/.test(s.trim()) ? Number(s.trim()) : null;
  };

  const submit = async (v: AdjustForm) => {
    const n = toAmount(v.amount)!;
    setBusy(true);
    setProblem(undefined);
    try {
      const c = await http.post<Card>(`/v1/admin/cards/${card.id}/adjustments`, { unit, amount: v.direction === 'add' ? n : -n, reason: v.reason.trim() });
      onDone(c);
    } catch (e) {
      setProblem(applyProblem(form, e, t));
      setBusy(false);
    }
  };

  return (
    <Modal
      open
      title={t('card.adjust.title', { number: card.number })}
      okText={t('card.adjust.submit')}
      cancelText={t('common.cancel')}
      onOk={() => form.submit()}
      onCancel={onClose}
      confirmLoading={busy}
      destroyOnHidden
    >
      <ProblemAlert message={problem} />
      <p className="muted">{t('card.adjust.now', { balance: balance(card) })}</p>
      <Form<AdjustForm>
        form={form}
        layout="vertical"
        requiredMark={false}
        onFinish={submit}
        initialValues={{ direction: 'add', amount: '', reason: '' }}
        name="adjust"
      >
        <Form.Item name="direction">
          <Radio.Group
            optionType="button"
            buttonStyle="solid"
            options={[
              { value: 'add', label: t('card.adjust.add') },
              { value: 'subtract', label: t('card.adjust.subtract') },
            ]}
          />
        </Form.Item>
        <Form.Item
          name="amount"
          label={t(unit === 'points' ? 'card.adjust.points' : unit === 'stamps' ? 'card.adjust.stamps' : 'card.adjust.money')}
          rules={[
            { required: true, message: t('validation.required') },
            {
              validator: (_, v: string) => {
                if (!v) return Promise.resolve();
                const n = toAmount(v);
                return n && n > 0 ? Promise.resolve() : Promise.reject(new Error(t(unit === 'minor' ? 'validation.money' : 'validation.positive')));
              },
            },
          ]}
        >
          <Input inputMode="decimal" autoFocus suffix={unit === 'minor' ? currencySymbol(business.currency, lang) : undefined} style={{ maxWidth: 220 }} />
        </Form.Item>
        <Form.Item name="reason" label={t('common.reason')} rules={[{ required: true, min: 3, whitespace: true, message: t('validation.reason') }]}>
          <Input.TextArea maxLength={500} autoSize={{ minRows: 2, maxRows: 4 }} placeholder={t('card.adjust.reasonHint')} />
        </Form.Item>
      </Form>
    </Modal>
  );
}

/** Manual level change with a reason (audited). */
export function LevelModal({ card, program, onClose, onDone }: { card: Card; program: Program; onClose: () => void; onDone: (c: Card) => void }) {
  const { t } = useI18n();
  const [form] = Form.useForm<{ levelCode: string; reason: string }>();
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string>();
  const submit = async (v: { levelCode: string; reason: string }) => {
    setBusy(true);
    setProblem(undefined);
    try {
      onDone(await http.post<Card>(`/v1/admin/cards/${card.id}/level`, { levelCode: v.levelCode, reason: v.reason.trim() }));
    } catch (e) {
      setProblem(applyProblem(form, e, t));
      setBusy(false);
    }
  };
  return (
    <Modal
      open
      title={t('card.level.title', { number: card.number })}
      okText={t('common.save')}
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
        onFinish={submit}
        initialValues={{ levelCode: card.levelCode ?? undefined, reason: '' }}
        name="level"
      >
        <Form.Item name="levelCode" label={t('card.level')} rules={[{ required: true, message: t('validation.required') }]}>
          <Select options={program.levels.map((l) => ({ value: l.code, label: l.name }))} />
        </Form.Item>
        <Form.Item name="reason" label={t('common.reason')} rules={[{ required: true, min: 3, whitespace: true, message: t('validation.reason') }]}>
          <Input.TextArea maxLength={500} autoSize={{ minRows: 2, maxRows: 4 }} />
        </Form.Item>
      </Form>
    </Modal>
  );
}

/** Block, unblock or delete a card, with an optional reason. */
export function CardStatusModal({
  card,
  to,
  onClose,
  onDone,
}: {
  card: Card;
  to: 'active' | 'blocked' | 'deleted';
  onClose: () => void;
  onDone: (c: Card) => void;
}) {
  const { t } = useI18n();
  const [form] = Form.useForm<{ reason?: string }>();
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string>();
  const submit = async (v: { reason?: string }) => {
    setBusy(true);
    setProblem(undefined);
    try {
      onDone(await http.post<Card>(`/v1/admin/cards/${card.id}/status`, { status: to, reason: v.reason?.trim() || undefined }));
    } catch (e) {
      setProblem(applyProblem(form, e, t));
      setBusy(false);
    }
  };
  const title = to === 'deleted' ? 'card.delete.title' : to === 'blocked' ? 'card.block.title' : 'card.unblock.title';
  return (
    <Modal
      open
      title={t(title, { number: card.number })}
      okText={t(to === 'deleted' ? 'card.delete' : to === 'blocked' ? 'card.block' : 'card.unblock')}
      okButtonProps={{ danger: to !== 'active' }}
      cancelText={t('common.cancel')}
      onOk={() => form.submit()}
      onCancel={onClose}
      confirmLoading={busy}
      destroyOnHidden
    >
      <ProblemAlert message={problem} />
      <p>{t(to === 'deleted' ? 'card.delete.text' : to === 'blocked' ? 'card.block.text' : 'card.unblock.text')}</p>
      <Form form={form} layout="vertical" onFinish={submit} name="card-status">
        <Form.Item name="reason" label={t('common.reason')}>
          <Input.TextArea maxLength={500} autoSize={{ minRows: 2, maxRows: 4 }} />
        </Form.Item>
      </Form>
    </Modal>
  );
}
