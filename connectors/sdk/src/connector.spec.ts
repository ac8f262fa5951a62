import { z } from 'zod';
import { CONTRACT_VERSION } from './contracts/envelope';
import { defineConnector, loadConnector } from './connector';
import { isPermanentError, PermanentError } from './errors';
import { testServices } from './testkit';

const manifest = {
  id: 'demo',
  name: 'Demo',
  category: 'crm' as const,
  version: '1.0.0',
  contractVersion: CONTRACT_VERSION,
  consumes: ['guest.registered'],
  description: 'A demo.',
};

describe('defineConnector', () => {
  it('accepts a consistent definition and freezes it', () => {
    const def = defineConnector({ manifest, configSchema: z.object({}), handlers: { 'guest.registered': async () => undefined } });
    expect(Object.isFrozen(def)).toBe(true);
    expect(def.manifest.id).toBe('demo');
  });

  it('refuses a handler the manifest does not consume, and a consumed type without handler', () => {
    expect(() =>
      defineConnector({ manifest, configSchema: z.object({}), handlers: { 'guest.registered': async () => undefined, 'card.issued': async () => undefined } }),
    ).toThrow(/handler for card.issued/);
    expect(() =>
      defineConnector({
        manifest: { ...manifest, consumes: ['guest.registered', 'card.issued'] },
        configSchema: z.object({}),
        handlers: { 'guest.registered': async () => undefined },
      }),
    ).toThrow(/no handler for it/);
  });

  it('refuses bad manifests: id, category, contract major version', () => {
    const h = { 'guest.registered': async () => undefined };
    expect(() => defineConnector({ manifest: { ...manifest, id: 'Bad Id' }, configSchema: z.object({}), handlers: h })).toThrow();
    expect(() => defineConnector({ manifest: { ...manifest, category: 'erp' as never }, configSchema: z.object({}), handlers: h })).toThrow();
    expect(() => defineConnector({ manifest: { ...manifest, contractVersion: '2.0' }, configSchema: z.object({}), handlers: h })).toThrow(/contract/);
  });

  it('loads a package by id through its factory, and checks the id it declares', () => {
    const def = defineConnector({ manifest, configSchema: z.object({}), handlers: { 'guest.registered': async () => undefined } });
    const seen: string[] = [];
    const resolve = (name: string) => {
      seen.push(name);
      return { createConnector: () => def };
    };
    expect(loadConnector('demo', testServices(), resolve).manifest.id).toBe('demo');
    expect(seen).toEqual(['@loyalty/connector-demo']);
    expect(() => loadConnector('other', testServices(), resolve)).toThrow(/declares id demo/);
  });

  it('PermanentError is recognised by shape (the bus parks it at once)', () => {
    expect(isPermanentError(new PermanentError('no'))).toBe(true);
    expect(isPermanentError(new Error('no'))).toBe(false);
    expect(isPermanentError({ permanent: true })).toBe(true);
  });
});
