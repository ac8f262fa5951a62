import { useEffect, useState } from 'react';
import { useNavigate, useParams } from 'react-router-dom';
import { App, Button, Card, Col, Form, Input, InputNumber, Row, Space, Switch, Tabs, Typography } from 'antd';
import { LeftOutlined, SaveOutlined } from '@ant-design/icons';
import { ApiError, http } from '../app/api';
import { useI18n } from '../app/i18n';
import { useMe } from '../app/session';
import { allows, ROLE_SETS } from '../app/roles';
import { useLoad } from '../app/useLoad';
import { applyProblem } from '../app/problems';
import { ErrorState, PageHeader, PageSpinner, ProblemAlert } from '../app/ui';
import { KindTag, usePrograms } from '../app/domain';
import { currencyDigits } from '../app/money';
import { PROGRAM_KINDS } from '../app/types';
import type { Program, ProgramKind } from '../app/types';
import { fromForm, ProgramFormValues, toForm } from './convert';
import { RulesFields } from './RulesFields';
import { LevelsFields } from './LevelsFields';
import { CouponCodes } from './CouponCodes';

/** The form's fill type is a deep partial antd cannot derive for free-form rules. */
type FormFill = Parameters<ReturnType<typeof Form.useForm<ProgramFormValues>>[0]['setFieldsValue']>[0];

function Bonuses() {
  const { t } = useI18n();
  const form = Form.useFormInstance();
  const referral = Form.useWatch(['referral', 'enabled'], form);
  return (
    <Row gutter={16}>
      <Col xs={24} md={8}>
        <Form.Item name="welcomeBonusPoints" label={t('bonuses.welcome')} extra={t('bonuses.welcome.help')}>
          <InputNumber min={0} precision={0} style={{ width: '100%' }} addonAfter={t('common.points')} />
        </Form.Item>
      </Col>
      <Col span={24}>
        <Form.Item name={['referral', 'enabled']} valuePropName="checked" label={t('bonuses.referral')} extra={t('bonuses.referral.help')}>
          <Switch />
        </Form.Item>
      </Col>
      {referral ? (
        <>
          <Col xs={24} md={8}>
            <Form.Item name={['referral', 'referrerPoints']} label={t('bonuses.referrer')}>
              <InputNumber min={0} precision={0} style={{ width: '100%' }} addonAfter={t('common.points')} />
            </Form.Item>
          </Col>
          <Col xs={24} md={8}>
            <Form.Item name={['referral', 'refereePoints']} label={t('bonuses.referee')}>
              <InputNumber min={0} precision={0} style={{ width: '100%' }} addonAfter={t('common.points')} />
            </Form.Item>
          </Col>
        </>
      ) : null}
    </Row>
  );
}

function Editor({ program, kind, programs }: { program?: Program; kind: ProgramKind; programs: Program[] }) {
  const { t } = useI18n();
  const { staff, business } = useMe();
  const { message } = App.useApp();
  const navigate = useNavigate();
  const canEdit = allows(ROLE_SETS.marketing, staff.role);
  const digits = currencyDigits(business.currency);
  const [form] = Form.useForm<ProgramFormValues>();
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string>();
  const [tab, setTab] = useState('rules');
  const isNew = !program;
  const tiered = kind === 'bonus' || kind === 'discount';

  useEffect(() => {
    form.setFieldsValue(toForm(program, kind, digits) as FormFill);
  }, [program, kind, digits, form]);

  const save = async (v: ProgramFormValues) => {
    setBusy(true);
    setProblem(undefined);
    const body = fromForm(v, kind, digits);
    if (isNew && body.referral === null) delete body.referral;
    try {
      const saved = isNew ? await http.post<Program>('/v1/admin/programs', body) : await http.patch<Program>(`/v1/admin/programs/${program.id}`, body);
      void message.success(t(isNew ? 'programs.created' : 'programs.saved', { name: saved.name }));
      if (isNew) navigate(`/mechanics/${saved.id}`, { replace: true });
      else form.setFieldsValue(toForm(saved, kind, digits) as FormFill);
    } catch (e) {
      setProblem(applyProblem(form, e, t));
      // Show the first tab with an error.
      const bad = form.getFieldsError().find((f) => f.errors.length);
      if (bad)
        setTab(
          bad.name[0] === 'levels' || bad.name[0] === 'levelPolicy'
            ? 'levels'
            : bad.name[0] === 'welcomeBonusPoints' || bad.name[0] === 'referral'
              ? 'bonuses'
              : 'rules',
        );
    } finally {
      setBusy(false);
    }
  };

  const items = [
    {
      key: 'rules',
      label: t('programs.tab.rules'),
      forceRender: true,
      children: <RulesFields kind={kind} couponPrograms={programs.filter((p) => p.kind === 'coupon')} />,
    },
    ...(tiered ? [{ key: 'levels', label: t('programs.tab.levels'), forceRender: true, children: <LevelsFields kind={kind} /> }] : []),
    ...(kind === 'bonus' ? [{ key: 'bonuses', label: t('programs.tab.bonuses'), forceRender: true, children: <Bonuses /> }] : []),
  ];

  return (
    <>
      <Button type="link" icon={<LeftOutlined />} onClick={() => navigate('/mechanics')} style={{ padding: 0, marginBottom: 8 }}>
        {t('programs.title')}
      </Button>
      <PageHeader
        title={isNew ? t('programs.new', { kind: t(`kind.${kind}`) }) : program.name}
        intro={
          <Space>
            <KindTag kind={kind} />
            <span>{t(`kind.${kind}.help`)}</span>
          </Space>
        }
        extra={
          canEdit ? (
            <Button type="primary" icon={<SaveOutlined />} loading={busy} onClick={() => form.submit()} data-testid="program-save">
              {isNew ? t('common.create') : t('common.save')}
            </Button>
          ) : undefined
        }
      />
      <Form<ProgramFormValues>
        form={form}
        layout="vertical"
        requiredMark={false}
        onFinish={save}
        name="program"
        disabled={!canEdit}
        initialValues={toForm(program, kind, digits)}
        scrollToFirstError
      >
        <Card style={{ marginBottom: 16 }}>
          <ProblemAlert message={problem} />
          <Row gutter={16} align="bottom">
            <Col xs={24} md={16}>
              <Form.Item
                name="name"
                label={t('programs.name')}
                rules={[{ required: true, whitespace: true, message: t('validation.required') }]}
                style={{ marginBottom: 0 }}
              >
                <Input maxLength={200} placeholder={t('programs.name.placeholder')} />
              </Form.Item>
            </Col>
            <Col xs={24} md={8}>
              <Form.Item name="active" valuePropName="checked" label={t('programs.active')} style={{ marginBottom: 0 }}>
                <Switch />
              </Form.Item>
            </Col>
          </Row>
        </Card>
        <Card>
          <Tabs activeKey={tab} onChange={setTab} items={items} />
        </Card>
      </Form>
      {program && kind === 'coupon' ? (
        <Card title={t('coupons.title')} style={{ marginTop: 16 }}>
          <CouponCodes program={program} />
        </Card>
      ) : null}
      {!canEdit ? (
        <Typography.Paragraph type="secondary" style={{ marginTop: 12 }}>
          {t('programs.readOnly')}
        </Typography.Paragraph>
      ) : null}
    </>
  );
}

const NOT_FOUND = new ApiError(404, 'not_found', 'not found');

/** Mechanics › a program: the rules of its kind, levels, welcome and referral bonuses, coupon codes. */
export function ProgramPage() {
  const { id, kind } = useParams();
  const programs = usePrograms();
  const one = useLoad((signal) => (id ? http.get<Program>(`/v1/admin/programs/${id}`, { signal }) : Promise.resolve(undefined)), [id]);
  if (programs.error || one.error) return <ErrorState error={programs.error ?? one.error} onRetry={() => (programs.reload(), one.reload())} />;
  if (!programs.data || (id && !one.data)) return <PageSpinner />;
  if (kind) {
    if (!(PROGRAM_KINDS as readonly string[]).includes(kind)) return <ErrorState error={NOT_FOUND} />;
    return <Editor key={`new-${kind}`} kind={kind as ProgramKind} programs={programs.data} />;
  }
  const program = one.data!;
  return <Editor key={program.id} program={program} kind={program.kind} programs={programs.data} />;
}
