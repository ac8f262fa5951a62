import { z } from 'zod';
import { maskConfig, maskSecret, mergeSecrets, scrubSecrets, secret, secretKeys, secretValues } from './secret';

describe('secret config fields', () => {
  const schema = z.object({
    baseUrl: z.url(),
    apiKey: secret(z.string().startsWith('sk_')),
    password: secret().optional(),
    token: secret().default('tok_default_value_1'),
    name: z.string(),
  });

  it('are found through optional and default wrappers, and only they', () => {
    expect(secretKeys(schema).sort()).toEqual(['apiKey', 'password', 'token']);
  });

  it('are marked writeOnly in the JSON schema the console renders', () => {
    const js = z.toJSONSchema(schema, { io: 'input' }) as { properties: Record<string, { writeOnly?: boolean }> };
    expect(js.properties.apiKey!.writeOnly).toBe(true);
    expect(js.properties.name!.writeOnly).toBeUndefined();
  });

  it('are masked with their last four characters only when long enough', () => {
    expect(maskSecret('sk_live_abcdefgh1234')).toBe('••••1234');
    expect(maskSecret('short')).toBe('••••');
    const shown = maskConfig(schema, { baseUrl: 'https://x.test', apiKey: 'sk_live_abcdefgh1234', name: 'n' });
    expect(shown).toEqual({ baseUrl: 'https://x.test', apiKey: '••••1234', name: 'n' });
  });

  it('keep their stored value when an update leaves them out, empty or masked', () => {
    const prev = { apiKey: 'sk_live_abcdefgh1234', password: 'p4ssw0rd-long-enough', name: 'a' };
    expect(mergeSecrets(schema, prev, { apiKey: '••••1234', name: 'b' })).toEqual({
      apiKey: 'sk_live_abcdefgh1234',
      password: 'p4ssw0rd-long-enough',
      name: 'b',
    });
    expect(mergeSecrets(schema, prev, { apiKey: '', password: 'new-password-1', name: 'b' })).toMatchObject({
      apiKey: 'sk_live_abcdefgh1234',
      password: 'new-password-1',
    });
    expect(mergeSecrets(schema, prev, { apiKey: 'sk_new_key_000000', name: 'b' }).apiKey).toBe('sk_new_key_000000');
  });

  it('are scrubbed from anything logged, however deep', () => {
    const secrets = secretValues(schema, { apiKey: 'sk_live_abcdefgh1234', name: 'x' });
    const out = scrubSecrets(
      { msg: 'calling with sk_live_abcdefgh1234', nested: [{ h: 'Bearer sk_live_abcdefgh1234' }], err: new Error('401 for sk_live_abcdefgh1234') },
      secrets,
    );
    expect(JSON.stringify(out)).not.toContain('sk_live_abcdefgh1234');
    expect(out.nested[0]!.h).toBe('Bearer [redacted]');
  });
});
