import { GuestProfileFields } from './GuestProfileFields';
import { useState } from 'react';
import { Checkbox, Col, Form, Input, Modal, Row, Select } from 'antd';
import type { Dayjs } from 'dayjs';
import { http } from '../app/api';
import { useI18n } from '../app/i18n';
import { applyProblem } from '../app/problems';
import { ProblemAlert } from '../app/ui';
import { usePrograms } from '../app/domain';
import type { Card, Guest } from '../app/types';

interface RegisterForm {
  phone: string;
  name?: string;
  birthday?: Dayjs | null;
  email?: string;
  gender?: 'male' | 'female';
  marketingConsent?: boolean;
  dataConsent?: boolean;
  programId?: string;
  referralCode?: string;
}

/** Registers a guest at the desk: phone, name, birthday, e-mail, consent and, optionally, a card of a program. */
export function RegisterGuestModal({ onClose, onDone }: { onClose: () => void; onDone: (r: { guest: Guest; card: Card | null }) => void }) {
  const { t } = useI18n();
  const [form] = Form.useForm<RegisterForm>();
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string>();
  const programs = usePrograms();
  const usable = (programs.data ?? []).filter((p) => p.active && p.kind !== 'gift' && p.kind !== 'coupon');

  const submit = async (v: RegisterForm) => {
    setBusy(true);
    setProblem(undefined);
    try {
      const r = await http.post<{ guest: Guest; card: Card | null }>('/v1/admin/guests', {
        phone: v.phone,
        name: v.name?.trim() || undefined,
        birthday: v.birthday ? v.birthday.format('YYYY-MM-DD') : undefined,
        email: v.email?.trim() || undefined,
        gender: v.gender,
        marketingConsent: !!v.marketingConsent,
        programId: v.programId,
        referralCode: v.referralCode?.trim() || undefined,
      });
      onDone(r);
    } catch (e) {
      setProblem(applyProblem(form, e, t));
      setBusy(false);
    }
  };

  return (
    <Modal
      open
      title={t('guest.register')}
      okText={t('guest.register.submit')}
      cancelText={t('common.cancel')}
      onOk={() => form.submit()}
      onCancel={onClose}
      confirmLoading={busy}
      destroyOnHidden
      width={620}
    >
      <ProblemAlert message={problem} />
      <Form<RegisterForm>
        form={form}
        layout="vertical"
        requiredMark={false}
        onFinish={submit}
        name="register-guest"
        initialValues={{ marketingConsent: false }}
      >
        <Row gutter={16}>
          <GuestProfileFields newGuest />
          <Col span={12}>
            <Form.Item name="referralCode" label={t('guest.referralCode.invited')}>
              <Input maxLength={16} style={{ textTransform: 'uppercase' }} />
            </Form.Item>
          </Col>
          <Col span={24}>
            <Form.Item name="programId" label={t('guest.issueCard')} extra={t('guest.issueCard.help')}>
              <Select
                allowClear
                loading={programs.loading}
                placeholder={t('guest.noCard')}
                options={usable.map((p) => ({
                  value: p.id,
                  label: p.welcomeBonusPoints > 0 ? `${p.name} · ${t('guest.welcome', { n: p.welcomeBonusPoints })}` : p.name,
                }))}
              />
            </Form.Item>
          </Col>
        </Row>
        <Form.Item
          name="dataConsent"
          valuePropName="checked"
          rules={[{ validator: (_, v) => (v ? Promise.resolve() : Promise.reject(new Error(t('guest.consent.required')))) }]}
          style={{ marginBottom: 4 }}
        >
          <Checkbox>{t('guest.consent.data')}</Checkbox>
        </Form.Item>
        <Form.Item name="marketingConsent" valuePropName="checked" style={{ marginBottom: 0 }}>
          <Checkbox>{t('guest.consent.marketing')}</Checkbox>
        </Form.Item>
      </Form>
    </Modal>
  );
}
