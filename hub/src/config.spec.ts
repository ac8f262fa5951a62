import { ConfigError, loadConfig } from './config';

describe('config', () => {
  it('defaults to embedded mode', () => {
    const c = loadConfig({});
    expect(c.PORT).toBe(8080);
    expect(c.DATABASE_URL).toBeUndefined();
    expect(c.AMQP_URL).toBeUndefined();
    expect(c.dataDir).toMatch(/data$/);
    expect(c.publicUrl).toBe('http://localhost:8080');
  });

  it.each([
    [{ PORT: 'eighty' }, /^Invalid setting PORT:/],
    [{ DATABASE_URL: 'postgres://x' }, /^Invalid setting DATABASE_URL: must start with mysql:\/\//],
    [{ AMQP_URL: 'http://x' }, /^Invalid setting AMQP_URL:/],
    [{ LOG_LEVEL: 'loud' }, /^Invalid setting LOG_LEVEL:/],
    [{ NODE_ENV: 'production' }, /^Invalid setting HUB_SECRET: required in production/],
    [{ HUB_SECRET: 'short' }, /^Invalid setting HUB_SECRET: must be at least 32/],
  ])('names the bad variable in one line: %j', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });
});

describe('TRUST_PROXY', () => {
  it('is a hop count: unset and false trust no proxy, a number trusts that many hops', () => {
    expect(loadConfig({}).TRUST_PROXY).toBe(0);
    expect(loadConfig({ TRUST_PROXY: 'false' }).TRUST_PROXY).toBe(0);
    expect(loadConfig({ TRUST_PROXY: '2' }).TRUST_PROXY).toBe(2);
  });

  it('refuses true (the left-most X-Forwarded-For would win and a client could forge it)', () => {
    expect(() => loadConfig({ TRUST_PROXY: 'true' })).toThrow(/Invalid setting TRUST_PROXY: a number of proxy hops/);
    expect(() => loadConfig({ TRUST_PROXY: '-1' })).toThrow(ConfigError);
  });
});
