import { Button, Col, Form, Input, InputNumber, Row, Select, Table, Typography } from 'antd';
import { DeleteOutlined, PlusOutlined } from '@ant-design/icons';
import { useI18n } from '../app/i18n';
import type { ProgramKind } from '../app/types';
import { useMoneyField } from './RulesFields';
import { DecimalInput } from '../app/DecimalInput';

/** Levels (code, name, threshold, percent) as an editable table, and how they are earned and lost. */
export function LevelsFields({ kind }: { kind: ProgramKind }) {
  const { t } = useI18n();
  const m = useMoneyField();
  const form = Form.useFormInstance();
  const metric = Form.useWatch(['levelPolicy', 'metric'], form) ?? 'spend';
  const windowKind = Form.useWatch(['levelPolicy', 'windowKind'], form);
  const percentKey = kind === 'bonus' ? 'accrualPercent' : 'discountPercent';

  return (
    <>
      <Row gutter={16}>
        <Col xs={24} md={8}>
          <Form.Item name={['levelPolicy', 'metric']} label={t('levels.metric')}>
            <Select
              options={[
                { value: 'spend', label: t('levels.metric.spend') },
                { value: 'visits', label: t('levels.metric.visits') },
              ]}
            />
          </Form.Item>
        </Col>
        <Col xs={24} md={8}>
          <Form.Item name={['levelPolicy', 'windowKind']} label={t('levels.window')}>
            <Select
              options={[
                { value: 'all_time', label: t('levels.window.all') },
                { value: 'days', label: t('levels.window.days') },
              ]}
            />
          </Form.Item>
        </Col>
        {windowKind === 'days' ? (
          <Col xs={24} md={8}>
            <Form.Item name={['levelPolicy', 'window', 'days']} label={t('levels.windowDays')} rules={[{ required: true, message: t('validation.required') }]}>
              <InputNumber min={1} max={3650} precision={0} style={{ width: '100%' }} addonAfter={t('common.days')} />
            </Form.Item>
          </Col>
        ) : null}
        <Col xs={24} md={8}>
          <Form.Item name={['levelPolicy', 'downgrade']} label={t('levels.downgrade')}>
            <Select
              options={[
                { value: 'never', label: t('levels.downgrade.never') },
                { value: 'periodic', label: t('levels.downgrade.periodic') },
              ]}
            />
          </Form.Item>
        </Col>
      </Row>
      <Form.List name="levels">
        {(fields, { add, remove }) => (
          <>
            <Table
              size="small"
              pagination={false}
              rowKey="key"
              dataSource={fields}
              data-testid="levels-table"
              locale={{ emptyText: t('levels.empty') }}
              columns={[
                {
                  title: t('levels.code'),
                  key: 'code',
                  width: 150,
                  render: (_, f) => (
                    <Form.Item
                      name={[f.name, 'code']}
                      rules={[
                        { required: true, message: t('validation.required') },
                        { pattern: /^[a-z0-9][a-z0-9_-]{0,31}$/, message: t('levels.code.help') },
                      ]}
                      style={{ margin: 0 }}
                    >
                      <Input placeholder="gold" aria-label={t('levels.code')} />
                    </Form.Item>
                  ),
                },
                {
                  title: t('levels.name'),
                  key: 'name',
                  render: (_, f) => (
                    <Form.Item name={[f.name, 'name']} rules={[{ required: true, message: t('validation.required') }]} style={{ margin: 0 }}>
                      <Input placeholder="Gold" aria-label={t('levels.name')} />
                    </Form.Item>
                  ),
                },
                {
                  title: metric === 'spend' ? t('levels.threshold.spend', { currency: m.suffix }) : t('levels.threshold.visits'),
                  key: 'threshold',
                  width: 190,
                  render: (_, f) =>
                    metric === 'spend' ? (
                      <Form.Item name={[f.name, 'threshold']} rules={[m.rule(true)]} style={{ margin: 0 }}>
                        <Input inputMode="decimal" suffix={m.suffix} aria-label={t('levels.threshold')} />
                      </Form.Item>
                    ) : (
                      <Form.Item name={[f.name, 'threshold']} rules={[{ required: true, message: t('validation.required') }]} style={{ margin: 0 }}>
                        <InputNumber min={0} precision={0} style={{ width: '100%' }} aria-label={t('levels.threshold')} />
                      </Form.Item>
                    ),
                },
                {
                  title: t(kind === 'bonus' ? 'levels.accrual' : 'levels.discount'),
                  key: 'percent',
                  width: 150,
                  render: (_, f) => (
                    <Form.Item name={[f.name, percentKey]} style={{ margin: 0 }}>
                      <DecimalInput
                        min={0}
                        max={100}
                        step={0.5}
                        precision={2}
                        addonAfter="%"
                        style={{ width: '100%' }}
                        placeholder={t('levels.percent.base')}
                        aria-label={t(kind === 'bonus' ? 'levels.accrual' : 'levels.discount')}
                      />
                    </Form.Item>
                  ),
                },
                {
                  title: '',
                  key: 'remove',
                  width: 50,
                  render: (_, f) => <Button type="text" icon={<DeleteOutlined />} onClick={() => remove(f.name)} aria-label={t('common.remove')} />,
                },
              ]}
            />
            <Button
              icon={<PlusOutlined />}
              style={{ marginTop: 12 }}
              onClick={() => add({ code: '', name: '', threshold: fields.length === 0 ? (metric === 'spend' ? '0' : 0) : undefined })}
              data-testid="level-add"
            >
              {t('levels.add')}
            </Button>
            <Typography.Paragraph type="secondary" style={{ marginTop: 8, fontSize: 13 }}>
              {t('levels.help')}
            </Typography.Paragraph>
          </>
        )}
      </Form.List>
    </>
  );
}
