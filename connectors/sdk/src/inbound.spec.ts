import { Router } from 'express';
import { z } from 'zod';
import { CONTRACT_VERSION } from './contracts/envelope';
import { defineConnector, inboundUrl } from './connector';
import { secret } from './secret';

const manifest = {
  id: 'demo-crm',
  name: 'Demo CRM',
  category: 'crm' as const,
  version: '1.0.0',
  contractVersion: CONTRACT_VERSION,
  consumes: [],
  description: 'A demo.',
};

describe('inbound routes declared in the manifest', () => {
  it('are kept on the definition and give each business its full URL', () => {
    const def = defineConnector({
      manifest: { ...manifest, inbound: [{ method: 'post', path: '/:businessId/hooks', summary: 'Paid orders from Demo CRM' }] },
      configSchema: z.object({}),
      handlers: {},
      inbound: () => Router(),
    });
    expect(def.manifest.inbound).toEqual([{ method: 'post', path: '/:businessId/hooks', summary: 'Paid orders from Demo CRM' }]);
    expect(inboundUrl('https://loyalty.example.com/', 'demo-crm', def.manifest.inbound![0]!, 'b-42')).toBe(
      'https://loyalty.example.com/connectors/demo-crm/b-42/hooks',
    );
  });

  it('need a router, and a path that starts with /', () => {
    expect(() =>
      defineConnector({
        manifest: { ...manifest, inbound: [{ method: 'post', path: '/:businessId/hooks', summary: 'x' }] },
        configSchema: z.object({}),
        handlers: {},
      }),
    ).toThrow(/declares inbound routes but there is no inbound router/);
    expect(() =>
      defineConnector({
        manifest: { ...manifest, inbound: [{ method: 'post', path: 'hooks', summary: 'x' }] },
        configSchema: z.object({}),
        handlers: {},
        inbound: () => Router(),
      }),
    ).toThrow(/path/);
  });
});

describe('defineConnector and secrets', () => {
  it('accepts labelled secrets', () => {
    const def = defineConnector({
      manifest,
      configSchema: z.object({ apiKey: secret().meta({ title: 'API key' }), baseUrl: z.url().meta({ title: 'API address' }) }),
      handlers: {},
    });
    expect(def.manifest.id).toBe('demo-crm');
  });

  it('refuses a form that says secret where the hub would not seal it', () => {
    const def = (configSchema: z.ZodObject) => () => defineConnector({ manifest, configSchema, handlers: {} });
    expect(def(z.object({ apiKey: z.string() }))).toThrow(/Connector demo-crm: config field apiKey is named like a credential/);
    expect(def(z.object({ pin: z.string().meta({ format: 'password' }) }))).toThrow(/pin is shown as a password box/);
    expect(def(z.object({ auth: z.object({ key: secret() }) }))).toThrow(/auth.key is a secret inside an object/);
  });
});
