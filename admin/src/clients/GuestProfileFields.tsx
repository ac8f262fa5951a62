import { Col, DatePicker, Form, Input, Select } from 'antd';
import dayjs from 'dayjs';
import { useI18n } from '../app/i18n';

/** The profile fields a guest has, shared by the register and edit forms (inside a <Row>). */
export function GuestProfileFields({ newGuest = false }: { newGuest?: boolean }) {
  const { t } = useI18n();
  return (
    <>
      <Col span={12}>
        <Form.Item name="phone" label={t('common.phone')} rules={[{ required: true, message: t('validation.required') }]}>
          <Input autoFocus={newGuest} placeholder={newGuest ? '+7 999 123-45-67' : undefined} inputMode="tel" />
        </Form.Item>
      </Col>
      <Col span={12}>
        <Form.Item name="name" label={t('guest.name')}>
          <Input maxLength={200} />
        </Form.Item>
      </Col>
      <Col span={12}>
        <Form.Item name="email" label={t('common.email')} rules={[{ type: 'email', message: t('validation.email') }]}>
          <Input maxLength={254} />
        </Form.Item>
      </Col>
      <Col span={12}>
        <Form.Item name="birthday" label={t('guest.birthday')}>
          <DatePicker style={{ width: '100%' }} format="DD.MM.YYYY" disabledDate={(d) => d.isAfter(dayjs())} />
        </Form.Item>
      </Col>
      <Col span={12}>
        <Form.Item name="gender" label={t('guest.gender')}>
          <Select
            allowClear
            options={[
              { value: 'female', label: t('guest.gender.female') },
              { value: 'male', label: t('guest.gender.male') },
            ]}
          />
        </Form.Item>
      </Col>
    </>
  );
}
