import { z } from 'zod';
import { isSecretSchema, maskConfig, maskSecret, mergeSecrets, scrubSecrets, secret, secretKeys, secretValues, unsealedSecretProblem } from './secret';

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

  it('stay secret through labels, descriptions, checks and wrappers', () => {
    const labelled = z.object({
      a: secret().meta({ title: 'API key', description: 'Settings → API' }),
      b: secret(z.string()).describe('Signing secret'),
      c: secret(z.string()).min(20).optional().meta({ title: 'Token' }),
      d: secret().nullable().default(null),
      e: secret(z.string().startsWith('sk_')).refine((v) => v.length > 5),
      f: secret().transform((v) => v.trim()),
      plain: z.string().meta({ title: 'Base URL' }),
    });
    expect(secretKeys(labelled).sort()).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
    const js = z.toJSONSchema(labelled, { io: 'input' }) as { properties: Record<string, { writeOnly?: boolean; title?: string }> };
    expect(js.properties.a).toMatchObject({ title: 'API key', writeOnly: true });
    // Masked, merged and scrubbed like any secret: the label changes nothing.
    expect(maskConfig(labelled, { a: 'ak_0123456789abcdef', plain: 'x' })).toEqual({ a: '••••cdef', plain: 'x' });
    expect(secretValues(labelled, { a: 'ak_0123456789abcdef', plain: 'x' })).toEqual(['ak_0123456789abcdef']);
  });

  it('can be unmarked on purpose, and a hand-written { secret: true } counts', () => {
    expect(isSecretSchema(secret().meta({ secret: false }))).toBe(false);
    expect(isSecretSchema(z.string().meta({ secret: true }))).toBe(true);
  });
});

describe('a config form that promises a secret the host would not seal', () => {
  it('is found when a field is drawn as a password box without secret()', () => {
    expect(unsealedSecretProblem(z.object({ pin: z.string().meta({ writeOnly: true }) }))).toMatch(/config field pin is shown as a password box/);
    expect(unsealedSecretProblem(z.object({ pin: z.string().meta({ format: 'password' }).optional() }))).toMatch(/pin/);
  });

  it('is found when a field is named like a credential without secret()', () => {
    for (const key of ['password', 'clientSecret', 'accessToken', 'apiKey', 'api_key', 'privateKey', 'passphrase']) {
      expect(unsealedSecretProblem(z.object({ [key]: z.string() }))).toMatch(new RegExp(`config field ${key} is named like a credential`));
    }
  });

  it('is found when a secret sits inside a nested object (only top-level fields are sealed)', () => {
    expect(unsealedSecretProblem(z.object({ auth: z.object({ user: z.string(), key: secret() }) }))).toMatch(/auth\.key is a secret inside an object/);
  });

  it('is not found for marked secrets, plain fields, or a name unmarked on purpose', () => {
    expect(
      unsealedSecretProblem(
        z.object({
          apiKey: secret().meta({ title: 'API key' }),
          password: secret().optional(),
          tokenUrl: z.url().meta({ secret: false, title: 'Token endpoint' }),
          baseUrl: z.url(),
          auth: z.object({ user: z.string() }),
        }),
      ),
    ).toBeUndefined();
  });
});
