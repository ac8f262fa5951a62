import type { NextFunction, Request, Response } from 'express';
import { z, ZodType } from 'zod';
import { FieldProblem, Problem } from '../shared/errors';

export type Part = 'body' | 'query' | 'params' | 'headers';

export function zodProblems(err: z.ZodError, part: Part): FieldProblem[] {
  return err.issues.map((i) => {
    const path = i.path.reduce<string>((acc, p) => (typeof p === 'number' ? `${acc}[${p}]` : acc ? `${acc}.${String(p)}` : String(p)), '');
    let message = i.message;
    if (i.code === 'unrecognized_keys') {
      return { field: (i.keys as string[]).map((k) => (path ? `${path}.${k}` : k)).join(', '), message: 'Unknown field', in: part };
    }
    if (i.code === 'invalid_type' && /received undefined/.test(message)) message = 'Required';
    return { field: path || part, message, in: part };
  });
}

export interface Schemas {
  body?: ZodType;
  query?: ZodType;
  params?: ZodType;
  headers?: ZodType;
}

/** Parsed, typed request parts; routes read only these. */
export interface Valid {
  body: any;
  query: any;
  params: any;
  headers: any;
}

declare module 'express-serve-static-core' {
  interface Request {
    valid: Valid;
  }
}

/**
 * Validates the request parts against zod schemas and puts the parsed values on `req.valid`.
 * All failures of all parts are reported together as one 400 problem naming each field.
 */
export function validate(s: Schemas) {
  return (req: Request, _res: Response, next: NextFunction) => {
    const valid: Valid = { body: undefined, query: {}, params: {}, headers: {} };
    const problems: FieldProblem[] = [];
    for (const part of ['params', 'query', 'headers', 'body'] as const) {
      const schema = s[part];
      if (!schema) continue;
      let input: unknown = req[part];
      if (part === 'body' && (input === undefined || (typeof input === 'object' && input !== null && Object.keys(input).length === 0 && !req.is('json')))) {
        input = req.is('json') ? input : undefined;
      }
      const r = schema.safeParse(input ?? (part === 'body' ? undefined : {}));
      if (r.success) valid[part] = r.data;
      else problems.push(...zodProblems(r.error, part));
    }
    if (problems.length) {
      return next(new Problem(400, 'validation_failed', `The request is not valid: ${problems.map((p) => p.field).join(', ')}`, problems));
    }
    req.valid = valid;
    next();
  };
}
