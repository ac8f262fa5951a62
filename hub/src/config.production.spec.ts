import { assertSafeForProduction, ConfigError, loadConfig } from './config';

const prod = { NODE_ENV: 'production', HUB_SECRET: 'x'.repeat(40) };
const check = (env: Record<string, string>) => () => assertSafeForProduction(loadConfig(env));

describe('production defaults', () => {
  it('seeds the demo by default in development, never in production unless SEED_DEMO=true', () => {
    expect(loadConfig({}).SEED_DEMO).toBe(true);
    expect(loadConfig({ SEED_DEMO: 'false' }).SEED_DEMO).toBe(false);
    expect(loadConfig(prod).SEED_DEMO).toBe(false);
    expect(loadConfig({ ...prod, SEED_DEMO: 'true' }).SEED_DEMO).toBe(true);
  });

  it('refuses the console SMS provider in production unless SMS_CONSOLE_ALLOWED=true', () => {
    const env = { ...prod, METRICS_TOKEN: 't'.repeat(32) };
    expect(check(env)).toThrow(ConfigError);
    expect(check(env)).toThrow(/^Invalid setting SMS_PROVIDER: console writes verification codes to the log/);
    expect(check({ ...env, SMS_CONSOLE_ALLOWED: 'true' })).not.toThrow();
    expect(check({ ...env, SMS_PROVIDER: 'smsru', SMSRU_API_ID: 'api-id-123456' })).not.toThrow();
  });

  it('requires a metrics token or a separate metrics listener in production', () => {
    const env = { ...prod, SMS_CONSOLE_ALLOWED: 'true' };
    expect(check(env)).toThrow(/^Invalid setting METRICS_TOKEN: in production \/metrics needs a bearer token/);
    expect(check({ ...env, METRICS_TOKEN: 'short' })).toThrow(/^Invalid setting METRICS_TOKEN: must be at least 24/);
    expect(check({ ...env, METRICS_TOKEN: 't'.repeat(24) })).not.toThrow();
    expect(check({ ...env, METRICS_PORT: '9464' })).not.toThrow();
    expect(check({ ...env, METRICS_PORT: '8080' })).toThrow(/^Invalid setting METRICS_PORT: must differ from PORT/);
  });

  it('asks nothing of development and test hubs', () => {
    expect(check({})).not.toThrow();
    expect(check({ NODE_ENV: 'test' })).not.toThrow();
  });

  it('keeps the older WEBHOOKS_ALLOW_PRIVATE beside CONNECTORS_ALLOW_PRIVATE', () => {
    expect(loadConfig({ WEBHOOKS_ALLOW_PRIVATE: 'true' }).WEBHOOKS_ALLOW_PRIVATE).toBe(true);
    expect(loadConfig({ CONNECTORS_ALLOW_PRIVATE: 'true' }).CONNECTORS_ALLOW_PRIVATE).toBe(true);
  });
});
