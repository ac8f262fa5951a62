import { useEffect, useState } from 'react';
import { useSearchParams } from 'react-router-dom';
import { App, Button, Card, Col, ColorPicker, Empty, Flex, Form, Input, Row, Segmented, Select, Space, Switch, Typography, Upload } from 'antd';
import { DeleteOutlined, SaveOutlined, UploadOutlined } from '@ant-design/icons';
import { http } from '../app/api';
import { useI18n } from '../app/i18n';
import { useMe } from '../app/session';
import { useLoad } from '../app/useLoad';
import { applyProblem, problemMessage } from '../app/problems';
import { ErrorState, PageHeader, PageSpinner, ProblemAlert } from '../app/ui';
import { labelOf, usePrograms } from '../app/domain';
import type { Program } from '../app/types';
import { PassPreview, PreviewDesign } from './PassPreview';
import { WalletNotConfiguredAlert } from './WalletBits';

const FRONT_FIELDS = ['balance', 'level', 'discount', 'stamps', 'expiry', 'number', 'name'];
const SLOTS = ['logo', 'icon', 'strip'] as const;

interface DesignImage {
  slot: (typeof SLOTS)[number];
  mime: string;
  width: number;
  height: number;
  bytes: number;
  usableInApplePass: boolean;
  url: string;
}

interface DesignResponse {
  programId: string;
  design: PreviewDesign & { back: PreviewDesign['back'] & { buyPointsUrl?: string; reviewUrl?: string }; relevantText?: string; locationIds: string[] };
  images: DesignImage[];
  updatedAt: string | null;
}

type DesignForm = DesignResponse['design'];

const toBase64 = (f: File) =>
  new Promise<string>((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => resolve(String(r.result).replace(/^data:[^,]*,/, ''));
    r.onerror = () => reject(r.error);
    r.readAsDataURL(f);
  });

/** Undefined for an empty text, so the hub's defaults apply. */
const clean = (s: string | undefined) => (s && s.trim() ? s.trim() : undefined);

function Editor({ program }: { program: Program }) {
  const { t } = useI18n();
  const { business } = useMe();
  const { message } = App.useApp();
  const [form] = Form.useForm<DesignForm>();
  const [platform, setPlatform] = useState<'apple' | 'google'>('apple');
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string>();
  const { data, error, reload, setData } = useLoad((signal) => http.get<DesignResponse>(`/v1/admin/wallet/designs/${program.id}`, { signal }), [program.id]);
  const watched = Form.useWatch([], form) as DesignForm | undefined;

  useEffect(() => {
    if (data) form.setFieldsValue(data.design);
  }, [data, form]);

  if (error) return <ErrorState error={error} onRetry={reload} />;
  if (!data) return <PageSpinner />;
  const design: PreviewDesign = {
    ...data.design,
    ...(watched ?? {}),
    colors: { ...data.design.colors, ...(watched?.colors ?? {}) },
    texts: { ...data.design.texts, ...(watched?.texts ?? {}) },
    barcode: { ...data.design.barcode, ...(watched?.barcode ?? {}) },
  };
  const image = (slot: string) => data.images.find((i) => i.slot === slot);

  const save = async (v: DesignForm) => {
    setBusy(true);
    setProblem(undefined);
    try {
      const body = {
        colors: v.colors,
        texts: {
          logoText: clean(v.texts?.logoText),
          description: clean(v.texts?.description),
          organizationName: clean(v.texts?.organizationName),
          labels: data.design.texts.labels ?? {},
        },
        front: v.front ?? [],
        back: {
          rules: clean(v.back?.rules),
          contacts: clean(v.back?.contacts),
          website: clean(v.back?.website),
          buyPointsUrl: clean(v.back?.buyPointsUrl),
          reviewUrl: clean(v.back?.reviewUrl),
        },
        locationIds: data.design.locationIds ?? [],
        relevantText: clean(v.relevantText),
        barcode: v.barcode,
      };
      const saved = await http.put<DesignResponse>(`/v1/admin/wallet/designs/${program.id}`, body);
      setData(() => saved);
      void message.success(t('design.saved'));
    } catch (e) {
      setProblem(applyProblem(form, e, t));
    } finally {
      setBusy(false);
    }
  };

  const upload = async (slot: string, file: File) => {
    try {
      const img = await http.put<DesignImage>(`/v1/admin/wallet/designs/${program.id}/images/${slot}`, { contentBase64: await toBase64(file) });
      setData((d) => (d ? { ...d, images: [...d.images.filter((i) => i.slot !== slot), img] } : d));
      void message.success(t('design.imageSaved'));
    } catch (e) {
      void message.error(problemMessage(e, t));
    }
  };
  const removeImage = async (slot: string) => {
    try {
      await http.delete(`/v1/admin/wallet/designs/${program.id}/images/${slot}`);
      setData((d) => (d ? { ...d, images: d.images.filter((i) => i.slot !== slot) } : d));
    } catch (e) {
      void message.error(problemMessage(e, t));
    }
  };

  const hex = (v: unknown) => (typeof v === 'string' ? v : (v as { toHexString(): string }).toHexString().toUpperCase());

  return (
    <Row gutter={[16, 16]}>
      <Col xs={24} lg={14}>
        <Card>
          <ProblemAlert message={problem} />
          <Form<DesignForm> form={form} layout="vertical" requiredMark={false} onFinish={save} name="design" initialValues={data.design}>
            <Typography.Title level={5}>{t('design.colors')}</Typography.Title>
            <Space size="large" wrap>
              {(['background', 'foreground', 'label'] as const).map((c) => (
                <Form.Item key={c} name={['colors', c]} label={t(`design.color.${c}`)} getValueFromEvent={(v: unknown) => hex(v)}>
                  <ColorPicker showText disabledAlpha />
                </Form.Item>
              ))}
            </Space>
            <Typography.Title level={5}>{t('design.texts')}</Typography.Title>
            <Row gutter={16}>
              <Col span={12}>
                <Form.Item name={['texts', 'logoText']} label={t('design.logoText')}>
                  <Input maxLength={40} placeholder={program.name} />
                </Form.Item>
              </Col>
              <Col span={12}>
                <Form.Item name={['texts', 'organizationName']} label={t('design.organization')}>
                  <Input maxLength={80} placeholder={business.name} />
                </Form.Item>
              </Col>
              <Col span={24}>
                <Form.Item name={['texts', 'description']} label={t('design.description')} extra={t('design.description.help')}>
                  <Input maxLength={120} placeholder={program.name} />
                </Form.Item>
              </Col>
            </Row>
            <Form.Item name="front" label={t('design.front')} extra={t('design.front.help')}>
              <Select
                mode="multiple"
                maxCount={5}
                options={FRONT_FIELDS.map((f) => ({ value: f, label: labelOf('design.field', f, t) }))}
                placeholder={t('design.front.default')}
              />
            </Form.Item>
            <Typography.Title level={5}>{t('design.back')}</Typography.Title>
            <Form.Item name={['back', 'rules']} label={t('design.rules')}>
              <Input.TextArea maxLength={2000} autoSize={{ minRows: 2, maxRows: 6 }} />
            </Form.Item>
            <Row gutter={16}>
              <Col span={12}>
                <Form.Item name={['back', 'contacts']} label={t('design.contacts')}>
                  <Input maxLength={500} />
                </Form.Item>
              </Col>
              <Col span={12}>
                <Form.Item name={['back', 'website']} label={t('design.website')}>
                  <Input maxLength={500} placeholder="https://" />
                </Form.Item>
              </Col>
              <Col span={12}>
                <Form.Item name={['back', 'reviewUrl']} label={t('design.reviewUrl')}>
                  <Input maxLength={500} placeholder="https://" />
                </Form.Item>
              </Col>
              <Col span={12}>
                <Form.Item name="relevantText" label={t('design.relevantText')}>
                  <Input maxLength={120} />
                </Form.Item>
              </Col>
              <Col span={12}>
                <Form.Item name={['barcode', 'format']} label={t('design.barcode')}>
                  <Select options={['QR', 'PDF417', 'Aztec', 'Code128'].map((f) => ({ value: f, label: f }))} />
                </Form.Item>
              </Col>
              <Col span={12}>
                <Form.Item name={['barcode', 'showNumber']} label={t('design.showNumber')} valuePropName="checked">
                  <Switch />
                </Form.Item>
              </Col>
            </Row>
            <Button type="primary" htmlType="submit" icon={<SaveOutlined />} loading={busy}>
              {t('common.save')}
            </Button>
          </Form>
        </Card>
        <Card title={t('design.images')} style={{ marginTop: 16 }}>
          <Row gutter={[16, 16]}>
            {SLOTS.map((slot) => {
              const img = image(slot);
              return (
                <Col xs={24} md={8} key={slot}>
                  <Flex vertical gap={8}>
                    <Typography.Text strong>{t(`design.slot.${slot}`)}</Typography.Text>
                    <div className="design-slot">
                      {img ? <img src={img.url} alt="" style={{ maxWidth: '100%', maxHeight: 70 }} /> : <span className="muted">{t('design.noImage')}</span>}
                    </div>
                    {img ? (
                      <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                        {img.width}×{img.height} · {img.mime.replace('image/', '').toUpperCase()}
                        {img.usableInApplePass ? '' : ` · ${t('design.notApple')}`}
                      </Typography.Text>
                    ) : null}
                    <Space>
                      <Upload accept="image/png,image/jpeg" showUploadList={false} beforeUpload={(f) => (void upload(slot, f), false)}>
                        <Button size="small" icon={<UploadOutlined />}>
                          {t('design.upload')}
                        </Button>
                      </Upload>
                      {img ? <Button size="small" icon={<DeleteOutlined />} onClick={() => void removeImage(slot)} aria-label={t('common.remove')} /> : null}
                    </Space>
                  </Flex>
                </Col>
              );
            })}
          </Row>
        </Card>
      </Col>
      <Col xs={24} lg={10}>
        <Card
          title={t('design.preview')}
          extra={
            <Segmented
              size="small"
              value={platform}
              onChange={(v) => setPlatform(v as 'apple' | 'google')}
              options={[
                { value: 'apple', label: 'Apple Wallet' },
                { value: 'google', label: 'Google Wallet' },
              ]}
            />
          }
          style={{ position: 'sticky', top: 72 }}
        >
          <PassPreview
            design={design}
            kind={program.kind}
            platform={platform}
            programName={program.name}
            logoUrl={image('logo')?.url}
            stripUrl={image('strip')?.url}
            businessName={business.name}
          />
          <Typography.Paragraph type="secondary" style={{ marginTop: 16, fontSize: 12, textAlign: 'center' }}>
            {t('design.preview.help')}
          </Typography.Paragraph>
        </Card>
      </Col>
    </Row>
  );
}

/** Cards › Card design: colours, texts, fields and images of a program's pass, with a live preview. */
export function DesignPage() {
  const { t } = useI18n();
  const [params, setParams] = useSearchParams();
  const programs = usePrograms();
  const list = programs.data ?? [];
  const program = list.find((p) => p.id === params.get('programId')) ?? list[0];
  return (
    <>
      <PageHeader
        title={t('design.title')}
        intro={t('design.intro')}
        extra={
          <Select
            style={{ width: 260 }}
            value={program?.id}
            loading={programs.loading}
            onChange={(id: string) => setParams({ programId: id }, { replace: true })}
            options={list.map((p) => ({ value: p.id, label: p.name }))}
            placeholder={t('common.program')}
            data-testid="design-program"
          />
        }
      />
      <WalletNotConfiguredAlert />
      {programs.error ? (
        <ErrorState error={programs.error} onRetry={programs.reload} />
      ) : !programs.data ? (
        <PageSpinner />
      ) : program ? (
        <Editor key={program.id} program={program} />
      ) : (
        <Empty description={t('design.noPrograms')} />
      )}
    </>
  );
}
