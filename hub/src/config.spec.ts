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
