import { GuestProfileFields } from './GuestProfileFields';
import { useState } from 'react';
import { Checkbox, Form, Modal, Row } from 'antd';
import type { Dayjs } from 'dayjs';
import dayjs from 'dayjs';
import { http } from '../app/api';
import { useI18n } from '../app/i18n';
import { applyProblem } from '../app/problems';
import { ProblemAlert } from '../app/ui';
import type { Guest } from '../app/types';

interface EditForm {
  phone: string;
  name?: string;
  birthday?: Dayjs | null;
  email?: string;
  gender?: 'male' | 'female' | null;
  marketingConsent: boolean;
}

/** Changes a guest's profile (the hub audits the before and after). */
export function EditGuestModal({ guest, onClose, onDone }: { guest: Guest; onClose: () => void; onDone: (g: Guest) => void }) {
  const { t } = useI18n();
  const [form] = Form.useForm<EditForm>();
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string>();
  const submit = async (v: EditForm) => {
    setBusy(true);
    setProblem(undefined);
    try {
      const body = {
        ...(v.phone !== guest.phone ? { phone: v.phone } : {}),
        name: v.name?.trim() || null,
        birthday: v.birthday ? v.birthday.format('YYYY-MM-DD') : null,
        email: v.email?.trim() || null,
        gender: v.gender ?? null,
        marketingConsent: v.marketingConsent,
      };
      onDone(await http.patch<Guest>(`/v1/admin/guests/${guest.id}`, body));
    } catch (e) {
      setProblem(applyProblem(form, e, t));
      setBusy(false);
    }
  };
  return (
    <Modal
      open
      title={t('guest.edit')}
      okText={t('common.save')}
      cancelText={t('common.cancel')}
      onOk={() => form.submit()}
      onCancel={onClose}
      confirmLoading={busy}
      destroyOnHidden
      width={620}
    >
      <ProblemAlert message={problem} />
      <Form<EditForm>
        form={form}
        layout="vertical"
        requiredMark={false}
        onFinish={submit}
        name="edit-guest"
        initialValues={{
          phone: guest.phone ?? '',
          name: guest.name ?? '',
          birthday: guest.birthday ? dayjs(guest.birthday) : null,
          email: guest.email ?? '',
          gender: (guest.gender as EditForm['gender']) ?? null,
          marketingConsent: guest.marketingConsent,
        }}
      >
        <Row gutter={16}>
          <GuestProfileFields />
        </Row>
        <Form.Item name="marketingConsent" valuePropName="checked" style={{ marginBottom: 0 }}>
          <Checkbox>{t('guest.consent.marketing')}</Checkbox>
        </Form.Item>
      </Form>
    </Modal>
  );
}
