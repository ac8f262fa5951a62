import { useState } from 'react';
import { Form, Modal, Radio, Select } from 'antd';
import { http } from '../app/api';
import { useI18n } from '../app/i18n';
import { applyProblem } from '../app/problems';
import { ProblemAlert } from '../app/ui';
import { GuestSearchSelect, useMoney, usePrograms } from '../app/domain';
import type { Card } from '../app/types';

interface IssueForm {
  programId: string;
  holder: 'guest' | 'bearer';
  guestId?: string;
  giftNominalMinor?: number;
}

/** Issues a card of a program: to a guest, or a bearer gift certificate with a face value. */
export function IssueCardModal({ guestId, onClose, onDone }: { guestId?: string; onClose: () => void; onDone: (c: Card) => void }) {
  const { t } = useI18n();
  const money = useMoney();
  const [form] = Form.useForm<IssueForm>();
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string>();
  const programs = usePrograms();
  const programId = Form.useWatch('programId', form);
  const holder = Form.useWatch('holder', form) ?? 'guest';
  const program = programs.data?.find((p) => p.id === programId);
  const nominals = program?.kind === 'gift' ? ((program.rules.nominalsMinor as number[] | undefined) ?? []) : [];

  const submit = async (v: IssueForm) => {
    setBusy(true);
    setProblem(undefined);
    try {
      const bearer = program?.kind === 'gift' && v.holder === 'bearer';
      const c = await http.post<Card>('/v1/admin/cards', {
        programId: v.programId,
        guestId: guestId ?? (bearer ? null : v.guestId),
        giftNominalMinor: program?.kind === 'gift' ? v.giftNominalMinor : undefined,
      });
      onDone(c);
    } catch (e) {
      setProblem(applyProblem(form, e, t));
      setBusy(false);
    }
  };

  return (
    <Modal
      open
      title={t('cards.issue')}
      okText={t('cards.issue.submit')}
      cancelText={t('common.cancel')}
      onOk={() => form.submit()}
      onCancel={onClose}
      confirmLoading={busy}
      destroyOnHidden
    >
      <ProblemAlert message={problem} />
      <Form<IssueForm> form={form} layout="vertical" requiredMark={false} onFinish={submit} initialValues={{ holder: 'guest' }} name="issue-card">
        <Form.Item name="programId" label={t('common.program')} rules={[{ required: true, message: t('validation.required') }]}>
          <Select
            loading={programs.loading}
            options={(programs.data ?? []).filter((p) => p.active).map((p) => ({ value: p.id, label: p.name }))}
            onChange={() => form.setFieldValue('giftNominalMinor', undefined)}
          />
        </Form.Item>
        {program?.kind === 'gift' ? (
          <>
            {!guestId ? (
              <Form.Item name="holder" label={t('cards.holder')}>
                <Radio.Group
                  options={[
                    { value: 'guest', label: t('cards.holder.guest') },
                    { value: 'bearer', label: t('cards.holder.bearer') },
                  ]}
                />
              </Form.Item>
            ) : null}
            <Form.Item name="giftNominalMinor" label={t('cards.nominal')} rules={[{ required: true, message: t('validation.required') }]}>
              <Select options={nominals.map((n) => ({ value: n, label: money(n) }))} />
            </Form.Item>
          </>
        ) : null}
        {!guestId && !(program?.kind === 'gift' && holder === 'bearer') ? (
          <Form.Item name="guestId" label={t('cards.guest')} rules={[{ required: true, message: t('validation.required') }]}>
            <GuestSearchSelect />
          </Form.Item>
        ) : null}
      </Form>
    </Modal>
  );
}
