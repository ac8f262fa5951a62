import { z } from 'zod';

/**
 * The mark lives in zod's global registry (`{ secret: true, writeOnly: true }`), which zod keeps on
 * `globalThis` and whose metadata a clone inherits from its parent: so the mark survives `.meta()`,
 * `.describe()` and checks (`.min()`, `.refine()`), and wrappers (`.optional()`, `.default()`,
 * `.nullable()`, pipes) are looked through. A connector package with its own copy of zod is read
 * the same way by the host.
 */
type SecretMeta = { secret?: boolean; writeOnly?: boolean; format?: string };

/**
 * Marks a config field as a secret (API key, password, signing secret). The host then:
 * - stores it encrypted at rest (AES-256-GCM under HUB_SECRET);
 * - never returns it from the API (it shows a mask like `"••••1234"` instead);
 * - never writes it to the audit history or the logs (the handler's `ctx.log` scrubs its value);
 * - draws it as a password box in the console.
 *
 * Secret fields must be top-level keys of the config object. The mark survives `.optional()`,
 * `.default()`, `.nullable()`, `.meta({ title, description })`, `.describe()` and further checks.
 *
 * @param schema the string schema to mark (default: a non-empty string); shape checks such as
 *   `z.string().startsWith('sk_')` belong here.
 * @example
 * const configSchema = z.object({
 *   baseUrl: z.url().meta({ title: 'API address' }),
 *   apiKey: secret(z.string().regex(/^sk_[A-Za-z0-9]{16,}$/, 'an sk_… key')).meta({ title: 'API key', description: 'Settings → API' }),
 * });
 */
export function secret<S extends z.ZodType<string>>(schema?: S): S {
  const base = (schema ?? z.string().min(1)) as S;
  return base.meta({ secret: true, writeOnly: true }) as S;
}

/** Peels optional/nullable/default/pipe wrappers off a schema. */
function unwrap(s: z.ZodType): z.ZodType[] {
  const chain: z.ZodType[] = [s];
  let cur: any = s;
  for (let i = 0; i < 10 && cur; i++) {
    const def = cur._zod?.def;
    const next = def?.innerType ?? (def?.type === 'pipe' ? def.in : undefined);
    if (!next) break;
    chain.push(next);
    cur = next;
  }
  return chain;
}

const metaOf = (s: z.ZodType): SecretMeta => (z.globalRegistry.get(s) as SecretMeta | undefined) ?? {};

/**
 * True when the schema (or what it wraps) is marked secret: made with {@link secret} or
 * `.meta({ secret: true })`. The outermost explicit `secret` wins, so `.meta({ secret: false })`
 * unmarks a field.
 */
export function isSecretSchema(s: z.ZodType): boolean {
  for (const x of unwrap(s)) {
    const m = metaOf(x);
    if (typeof m.secret === 'boolean') return m.secret;
  }
  return false;
}

/** Field names that say "credential" (`password`, `clientSecret`, `accessToken`, `apiKey`, `privateKey`…). */
const SECRET_NAME = /pass(word|wd|phrase)|secret|token|api[-_]?key|private[-_]?key|credential/i;

/**
 * Why a config schema promises secrecy the host would not give, or undefined when it is sound.
 * A field that looks secret — shown as a password box (`writeOnly` or `format: 'password'` in its
 * metadata) or named like a credential — must be marked with {@link secret}, or say
 * `.meta({ secret: false })` when it is not one (e.g. `tokenUrl`); and a secret must be a top-level
 * field, since the host seals top-level fields only. Called by `defineConnector`.
 */
export function unsealedSecretProblem(schema: z.ZodObject): string | undefined {
  for (const [key, field] of Object.entries(schema.shape as Record<string, z.ZodType>)) {
    if (isSecretSchema(field)) continue;
    const chain = unwrap(field);
    // `.meta({ secret: false })` clears a credential-like name; a password box still contradicts it.
    const explicit = chain.map(metaOf).some((m) => typeof m.secret === 'boolean');
    const shown = chain.some((x) => metaOf(x).writeOnly === true || metaOf(x).format === 'password');
    if (shown)
      return `config field ${key} is shown as a password box (writeOnly or format: 'password') but not marked with secret(): the host would store, show and log it in clear`;
    if (!explicit && SECRET_NAME.test(key))
      return `config field ${key} is named like a credential but not marked with secret(): wrap it in secret(), or add .meta({ secret: false }) if it is not one`;
    const inner = chain[chain.length - 1] as any;
    if (inner?._zod?.def?.type === 'object') {
      const nested = unsealedNested(inner as z.ZodObject);
      if (nested) return `config field ${key}.${nested} is a secret inside an object: secrets must be top-level fields (only those are sealed)`;
    }
  }
  return undefined;
}

/** The first secret-looking field of a nested object (the host seals top-level fields only). */
function unsealedNested(obj: z.ZodObject, depth = 0): string | undefined {
  if (depth > 5) return undefined;
  for (const [key, field] of Object.entries(obj.shape as Record<string, z.ZodType>)) {
    const chain = unwrap(field);
    if (isSecretSchema(field) || chain.some((x) => metaOf(x).writeOnly === true || metaOf(x).format === 'password')) return key;
    const inner = chain[chain.length - 1] as any;
    if (inner?._zod?.def?.type === 'object') {
      const deeper = unsealedNested(inner as z.ZodObject, depth + 1);
      if (deeper) return `${key}.${deeper}`;
    }
  }
  return undefined;
}

const keysCache = new WeakMap<z.ZodObject, string[]>();

/** Names of the secret fields of a connector config schema. */
export function secretKeys(schema: z.ZodObject): string[] {
  let keys = keysCache.get(schema);
  if (!keys) {
    keys = Object.entries(schema.shape as Record<string, z.ZodType>)
      .filter(([, s]) => isSecretSchema(s))
      .map(([k]) => k);
    keysCache.set(schema, keys);
  }
  return keys;
}

/** A display mask: `"••••1234"` for long values (the last 4 characters help tell keys apart), `"••••"` for short ones. */
export function maskSecret(value: unknown): string {
  return typeof value === 'string' && value.length >= 12 ? `••••${value.slice(-4)}` : '••••';
}

/** The config as the API may show it: every secret field replaced by its mask. */
export function maskConfig(schema: z.ZodObject, config: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...config };
  for (const k of secretKeys(schema)) if (out[k] !== undefined && out[k] !== null) out[k] = maskSecret(out[k]);
  return out;
}

/**
 * Combines an update with the stored config: a secret field that is absent, empty, or still equal
 * to the mask the API showed keeps its stored value, so a console can send the form back unchanged.
 */
export function mergeSecrets(schema: z.ZodObject, previous: Record<string, unknown> | undefined, incoming: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...incoming };
  for (const k of secretKeys(schema)) {
    const v = out[k];
    const prev = previous?.[k];
    if (prev !== undefined && (v === undefined || v === '' || v === maskSecret(prev))) out[k] = prev;
  }
  return out;
}

/** Secret values found in a parsed config (for log scrubbing). */
export function secretValues(schema: z.ZodObject, config: Record<string, unknown>): string[] {
  return secretKeys(schema)
    .map((k) => config[k])
    .filter((v): v is string => typeof v === 'string' && v.length > 0);
}

/** Replaces every occurrence of the given secret values in strings nested anywhere in `v`. */
export function scrubSecrets<T>(v: T, secrets: string[]): T {
  if (!secrets.length) return v;
  const seen = new WeakSet<object>();
  const walk = (x: unknown, depth: number): unknown => {
    if (typeof x === 'string') return secrets.reduce((s, sec) => s.split(sec).join('[redacted]'), x);
    if (!x || typeof x !== 'object' || depth > 8) return x;
    if (seen.has(x)) return '[circular]';
    seen.add(x);
    if (x instanceof Error) return { name: x.name, message: walk(x.message, depth + 1), stack: walk(x.stack, depth + 1) };
    if (Array.isArray(x)) return x.map((y) => walk(y, depth + 1));
    if (x instanceof Date || Buffer.isBuffer(x)) return x;
    return Object.fromEntries(Object.entries(x).map(([k, y]) => [k, walk(y, depth + 1)]));
  };
  return walk(v, 0) as T;
}
