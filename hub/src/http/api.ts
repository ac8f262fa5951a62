import type { NextFunction, Request, RequestHandler, Response, Router } from 'express';
import { z, ZodType } from 'zod';
import type { Ctx, Role } from '../shared/context';
import { validate } from './validate';

export type Auth = 'public' | 'terminal' | { roles: readonly Role[] };

export interface RouteSpec {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete' | 'head';
  /** Express-style path, e.g. `/v1/admin/locations/:id`. */
  path: string;
  summary: string;
  description?: string;
  tags: string[];
  auth: Auth;
  body?: ZodType;
  query?: ZodType;
  params?: ZodType;
  headers?: ZodType;
  response?: ZodType;
  /** Success status (default 200, or 204 when the handler returns nothing). */
  status?: number;
  /** Extra documented failure statuses. */
  errors?: number[];
  /** Terminal scope required (terminal auth only). */
  scope?: string;
  /** The route reads a raw upload of this media type as a stream (e.g. `text/csv`) instead of JSON. */
  rawBody?: string;
}

declare module 'express-serve-static-core' {
  interface Request {
    ctx: Ctx;
  }
}

export type RouteHandler = (req: Request, res: Response) => Promise<unknown>;

/** Builds the authentication middleware for an `Auth` requirement (provided by the tenants module). */
export type AuthFactory = (auth: Exclude<Auth, 'public'>, scope?: string) => RequestHandler;

/**
 * Registers routes on an express router and remembers their specs, so the OpenAPI document
 * is generated from exactly the zod schemas that validate requests.
 */
export class Api {
  readonly specs: RouteSpec[] = [];
  /** Routes that accept a raw upload: `METHOD path` -> media type. */
  readonly rawUploads = new Map<string, string>();

  constructor(
    readonly router: Router,
    private readonly authFor: AuthFactory,
  ) {}

  route(spec: RouteSpec, handler: RouteHandler): void {
    this.specs.push(spec);
    if (spec.rawBody) this.rawUploads.set(`${spec.method.toUpperCase()} ${spec.path}`, spec.rawBody);
    const mw: RequestHandler[] = [];
    if (spec.auth !== 'public') mw.push(this.authFor(spec.auth, spec.scope));
    mw.push(validate(spec));
    const run = async (req: Request, res: Response, next: NextFunction) => {
      try {
        const out = await handler(req, res);
        if (res.headersSent) return;
        if (out === undefined) res.status(spec.status ?? 204).end();
        else res.status(spec.status ?? 200).json(out);
      } catch (e) {
        next(e);
      }
    };
    this.router[spec.method](spec.path, ...mw, run);
  }

  /**
   * Lists a route that a router of its own serves (a connector's inbound routes, checked by the
   * vendor's signature rather than by this API's auth and validation) in the OpenAPI document.
   */
  document(spec: RouteSpec): void {
    this.specs.push(spec);
  }
}

const problemSchema = {
  type: 'object',
  properties: {
    type: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'integer' },
    code: { type: 'string' },
    detail: { type: 'string' },
    errors: { type: 'array', items: { type: 'object', properties: { field: { type: 'string' }, message: { type: 'string' }, in: { type: 'string' } } } },
    requestId: { type: 'string' },
  },
  required: ['type', 'title', 'status', 'code', 'detail'],
};

function jsonSchema(s: ZodType, io: 'input' | 'output'): Record<string, unknown> {
  const out = z.toJSONSchema(s, {
    io,
    unrepresentable: 'any',
    target: 'draft-2020-12',
    // A Date travels as its ISO 8601 text (JSON.stringify), so the document says so (typed clients read a string).
    override: (ctx) => {
      if (ctx.zodSchema._zod.def.type === 'date') Object.assign(ctx.jsonSchema, { type: 'string', format: 'date-time' });
    },
  }) as Record<string, unknown>;
  delete out.$schema;
  return out;
}

function parametersOf(s: ZodType | undefined, where: 'query' | 'path' | 'header'): unknown[] {
  if (!s) return [];
  const js = jsonSchema(s, 'input') as { properties?: Record<string, Record<string, unknown>>; required?: string[] };
  return Object.entries(js.properties ?? {}).map(([name, schema]) => ({
    name,
    in: where,
    required: where === 'path' || (js.required ?? []).includes(name),
    schema,
    ...(schema.description ? { description: schema.description } : {}),
  }));
}

/** OpenAPI 3.1 document of every registered route. */
export function openApiDocument(specs: RouteSpec[], info: { title: string; version: string; serverUrl: string }): unknown {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const s of specs) {
    if (s.method === 'head') continue;
    const p = s.path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
    const responses: Record<string, unknown> = {};
    const ok = String(s.status ?? (s.response ? 200 : 204));
    responses[ok] = s.response
      ? { description: 'Success', content: { 'application/json': { schema: jsonSchema(s.response, 'output') } } }
      : { description: 'Success' };
    const fail = new Set([400, ...(s.auth === 'public' ? [] : [401, 403]), ...(s.errors ?? [])]);
    for (const code of fail) responses[String(code)] = { $ref: '#/components/responses/Problem' };
    const security = s.auth === 'public' ? [] : s.auth === 'terminal' ? [{ terminalKey: [] }] : [{ staffSession: [] }];
    (paths[p] ??= {})[s.method] = {
      summary: s.summary,
      ...(s.description ? { description: s.description } : {}),
      tags: s.tags,
      operationId: `${s.method}_${p.replace(/[^A-Za-z0-9]+/g, '_').replace(/^_|_$/g, '')}`,
      security,
      ...(s.auth !== 'public' && typeof s.auth === 'object' ? { 'x-roles': s.auth.roles } : {}),
      ...(s.scope ? { 'x-scope': s.scope } : {}),
      parameters: [...parametersOf(s.params, 'path'), ...parametersOf(s.query, 'query'), ...parametersOf(s.headers, 'header')],
      ...(s.body ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(s.body, 'input') } } } } : {}),
      ...(s.rawBody ? { requestBody: { required: true, content: { [s.rawBody]: { schema: { type: 'string' } } } } } : {}),
      responses,
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: info.title, version: info.version, description: 'Loyalty hub API: POS checkout, console administration, public guest pages.' },
    servers: [{ url: info.serverUrl }],
    paths,
    components: {
      securitySchemes: {
        terminalKey: { type: 'http', scheme: 'bearer', description: 'Terminal API key (lk_…), from the console' },
        staffSession: { type: 'apiKey', in: 'cookie', name: 'lh_session' },
      },
      responses: { Problem: { description: 'Problem (RFC 9457)', content: { 'application/problem+json': { schema: problemSchema } } } },
    },
  };
}
