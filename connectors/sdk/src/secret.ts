import { z } from 'zod';

/** The registry of config fields that hold credentials. */
const SECRETS = z.registry<{ secret: true }>();

/**
 * Marks a config field as a secret (API key, password, signing secret). The host then:
 * - stores it encrypted at rest (AES-256-GCM under HUB_SECRET);
 * - never returns it from the API (it shows a mask like `"••••1234"` instead);
 * - never writes it to the audit history or the logs (the handler's `ctx.log` scrubs its value).
 *
 * Secret fields must be top-level keys of the config object. Wrapping the result in `.optional()`
 * or `.default()` keeps the mark.
 *
 * @param schema the string schema to mark (default: a non-empty string); shape checks such as
 *   `z.string().startsWith('sk_')` belong here.
 * @example
 * const configSchema = z.object({
 *   baseUrl: z.url(),
 *   apiKey: secret(z.string().regex(/^sk_[A-Za-z0-9]{16,}$/, 'an sk_… key')),
 * });
 */
export function secret<S extends z.ZodType<string>>(schema?: S): S {
  const base = (schema ?? z.string().min(1)) as S;
  const marked = base.meta({ secret: true, writeOnly: true }) as S;
  SECRETS.add(marked, { secret: true });
  return marked;
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

/** True when the schema (or what it wraps) was made with {@link secret}. */
export function isSecretSchema(s: z.ZodType): boolean {
  return unwrap(s).some((x) => SECRETS.has(x));
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
