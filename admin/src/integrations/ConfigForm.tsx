import { Flex, Form, Input, InputNumber, Select, Switch, Tag, Typography } from 'antd';
import { useI18n } from '../app/i18n';
import type { InboundRoute, JsonSchema, JsonSchemaProp } from './types';

const typeOf = (p: JsonSchemaProp) => (Array.isArray(p.type) ? p.type.find((x) => x !== 'null') : p.type);

/** Form fields from a connector's JSON Schema (flat settings; secret fields as passwords). */
export function ConfigFields({ schema, secretFields, editing }: { schema: JsonSchema; secretFields: string[]; editing: boolean }) {
  const { t } = useI18n();
  const props = Object.entries(schema.properties ?? {});
  return (
    <>
      {props.map(([key, p]) => {
        const label = p.title ?? key;
        const required = (schema.required ?? []).includes(key) && !(editing && secretFields.includes(key));
        const rules = required ? [{ required: true, message: t('validation.required') }] : [];
        const name = ['config', key];
        const type = typeOf(p);
        if (p.enum)
          return (
            <Form.Item key={key} name={name} label={label} extra={p.description} rules={rules}>
              <Select options={p.enum.map((v) => ({ value: v as string, label: String(v) }))} allowClear={!required} />
            </Form.Item>
          );
        if (type === 'boolean')
          return (
            <Form.Item key={key} name={name} label={label} extra={p.description} valuePropName="checked">
              <Switch />
            </Form.Item>
          );
        if (type === 'number' || type === 'integer')
          return (
            <Form.Item key={key} name={name} label={label} extra={p.description} rules={rules}>
              <InputNumber min={p.minimum} max={p.maximum} precision={type === 'integer' ? 0 : undefined} style={{ width: '100%' }} />
            </Form.Item>
          );
        if (secretFields.includes(key) || p.secret || p.writeOnly)
          return (
            <Form.Item key={key} name={name} label={label} extra={p.description} rules={rules}>
              <Input.Password autoComplete="new-password" />
            </Form.Item>
          );
        return (
          <Form.Item key={key} name={name} label={label} extra={p.description} rules={rules}>
            <Input />
          </Form.Item>
        );
      })}
    </>
  );
}

/** Initial values: the installed config (secrets masked by the hub) or the schema's defaults. */
export function initialConfig(schema: JsonSchema, installed?: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, p] of Object.entries(schema.properties ?? {})) {
    if (installed && k in installed) out[k] = installed[k];
    else if (p.default !== undefined) out[k] = p.default;
  }
  return out;
}

/**
 * The URLs a vendor calls (the connector's inbound routes for this business: PUBLIC_URL, the
 * connector, the business id), each ready to copy into the vendor's settings.
 */
export function InboundUrls({ name, routes }: { name: string; routes: InboundRoute[] }) {
  const { t } = useI18n();
  if (!routes.length) return null;
  return (
    <Flex vertical gap={4} data-testid="inbound-urls" style={{ marginBottom: 16 }}>
      <Typography.Text strong>{t('integrations.inbound', { name })}</Typography.Text>
      <Typography.Text type="secondary">{t('integrations.inbound.hint', { name })}</Typography.Text>
      {routes.map((r) => (
        <Flex key={`${r.method} ${r.path}`} vertical>
          <span>
            <Tag>{r.method.toUpperCase()}</Tag>
            <Typography.Text code copyable={{ text: r.url }}>
              {r.url}
            </Typography.Text>
          </span>
          <Typography.Text type="secondary">{r.summary}</Typography.Text>
        </Flex>
      ))}
    </Flex>
  );
}
