import fc from 'fast-check';

type JS = Record<string, any>;

/** Values that break naive handlers: wrong types, extremes, odd unicode, prototype keys. */
export const nasty = fc.oneof(
  fc.constantFrom(
    null,
    -1,
    0.5,
    -0.0001,
    1e308,
    Number.MAX_SAFE_INTEGER + 2,
    '',
    ' ',
    '\u0000',
    '‮+79991234567',
    '٩٩٩١٢٣٤٥٦٧',
    '+7 (999) 123-45-67 🐱',
    'x'.repeat(5000),
    '../../etc/passwd',
    "' OR 1=1 --",
    '<script>alert(1)</script>',
    '__proto__',
    true,
    [],
    {},
    { __proto__: { polluted: true } },
    { constructor: { prototype: { polluted: true } } },
  ),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.integer(),
  fc.double(),
  fc.anything({ maxDepth: 2 }),
);

/**
 * An arbitrary for a JSON Schema (as zod's toJSONSchema emits it): mostly well-formed values,
 * with a share of nodes replaced by nasty ones and some unknown keys added.
 */
export function arbitraryFor(schema: JS, depth = 0): fc.Arbitrary<unknown> {
  const mutate = (a: fc.Arbitrary<unknown>) => fc.oneof({ weight: 4, arbitrary: a }, { weight: 1, arbitrary: nasty });
  if (!schema || depth > 6) return nasty;
  if (schema.const !== undefined) return mutate(fc.constant(schema.const));
  if (schema.enum) return mutate(fc.constantFrom(...schema.enum));
  const union = schema.anyOf ?? schema.oneOf;
  if (union) return fc.oneof(...union.map((s: JS) => arbitraryFor(s, depth + 1)));
  if (schema.allOf?.length) return arbitraryFor(schema.allOf[0], depth + 1);
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case 'object': {
      const props: Record<string, fc.Arbitrary<unknown>> = {};
      for (const [k, v] of Object.entries<JS>(schema.properties ?? {})) props[k] = arbitraryFor(v, depth + 1);
      const base = fc.record(props, { requiredKeys: (schema.required ?? []).filter((k: string) => k in props) });
      return mutate(
        fc.tuple(base, fc.option(fc.dictionary(fc.string({ maxLength: 8 }), nasty, { maxKeys: 2 }), { freq: 4 })).map(([o, extra]) => ({ ...(o as object), ...(extra ?? {}) })),
      );
    }
    case 'array':
      return mutate(fc.array(arbitraryFor(schema.items ?? {}, depth + 1), { minLength: schema.minItems ?? 0, maxLength: Math.min(schema.maxItems ?? 5, 5) }));
    case 'string':
      if (schema.format === 'uuid') return mutate(fc.uuid());
      if (schema.format === 'email') return mutate(fc.emailAddress());
      if (schema.format === 'date-time') return mutate(fc.date({ noInvalidDate: true }).map((d) => d.toISOString()));
      if (schema.format === 'date') return mutate(fc.date({ noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10)));
      return mutate(fc.string({ minLength: schema.minLength ?? 0, maxLength: Math.min(schema.maxLength ?? 30, 60) }));
    case 'integer':
      return mutate(fc.integer({ min: Math.max(schema.minimum ?? -1e6, -1e12), max: Math.min(schema.maximum ?? 1e9, 1e12) }));
    case 'number':
      return mutate(fc.double({ min: schema.minimum ?? -1e6, max: schema.maximum ?? 1e9, noNaN: true }));
    case 'boolean':
      return mutate(fc.boolean());
    case 'null':
      return fc.constant(null);
    default:
      return nasty;
  }
}
