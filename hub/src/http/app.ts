import express, { NextFunction, Request, Response } from 'express';
import cookieParser from 'cookie-parser';
import path from 'node:path';
import { timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
// The type of `req.id` (set by requestLog below) comes from pino-http's declarations.
import type {} from 'pino-http';
import type { Logger } from 'pino';
import client from 'prom-client';
import { newId } from '../shared/ids';
import { Problem } from '../shared/errors';
import { errorHandler, sendProblem } from './problem';
import { Api, openApiDocument } from './api';
import { authFactory } from './auth';
import { csrfGuard } from './csrf';
import type { TenantsService } from '../modules/tenants/tenants.service';

export interface HttpDeps {
  log: Logger;
  tenants: TenantsService;
  publicUrl: string;
  version: string;
  /** Proxy hops to trust for the client address (express `trust proxy` as a number). */
  trustProxy: number;
  health: () => Promise<{ ok: boolean; checks: Record<string, unknown> }>;
  metrics: client.Registry;
  adminDir?: string;
  /**
   * Who may read /metrics on this (public) listener: with `token`, only `Authorization: Bearer
   * <token>`; with `separate` (METRICS_PORT), nobody here (404) — the other listener serves it.
   * Neither (development): open.
   */
  metricsAccess?: { token?: string; separate?: boolean };
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/**
 * Request ids (a valid `X-Request-Id` from the caller, else a new one, echoed back) and one log line
 * and one duration sample per answer: 5xx at error, 4xx at info, the rest at debug. What pino-http
 * did, without its child logger and serializers per request (about 7 % of a quote's CPU in the
 * checkout bench's profile); a line below the configured level costs nothing.
 */
function requestLog(log: Logger, duration: client.Histogram<'method' | 'route' | 'status'>) {
  return (req: Request, res: Response, next: NextFunction) => {
    const given = req.headers['x-request-id'];
    const id = typeof given === 'string' && REQUEST_ID.test(given) ? given : newId();
    req.id = id;
    res.setHeader('X-Request-Id', id);
    const start = process.hrtime.bigint();
    res.once('finish', () => {
      const status = res.statusCode;
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      duration.observe({ method: req.method, route: (req.route?.path as string | undefined) ?? 'unmatched', status: String(status) }, seconds);
      const level = status >= 500 ? 'error' : status >= 400 ? 'info' : 'debug';
      if (!log.isLevelEnabled(level)) return;
      log[level](
        { req: { id, method: req.method, url: String(req.originalUrl).split('?')[0] }, res: { statusCode: status }, responseTime: Math.round(seconds * 1000) },
        status >= 500 ? 'request errored' : 'request completed',
      );
    });
    next();
  };
}

/** Security headers for every answer; the console and API docs load only our own scripts. */
function securityHeaders(hsts: boolean) {
  return (req: Request, res: Response, next: NextFunction) => {
    if (hsts) res.setHeader('Strict-Transport-Security', 'max-age=31536000; includeSubDomains');
    // Answers to credentialed or console/till requests hold tenant data: never stored by a browser or proxy cache.
    if (credentialed(req)) res.setHeader('Cache-Control', 'no-store');
    staticHeaders(req, res, next);
  };
}

const PRIVATE_API = /^\/v1\/(admin|pos|scanner)(\/|$)/;

/** A request that carries a credential (session cookie, API key, Apple pass token) or addresses an authenticated API. */
function credentialed(req: Request): boolean {
  const cookie = req.headers.cookie;
  return (
    PRIVATE_API.test(req.path) ||
    !!req.headers.authorization ||
    req.headers['x-api-key'] !== undefined ||
    (typeof cookie === 'string' && /(^|;\s*)(__Host-)?lh_session=/.test(cookie))
  );
}

/**
 * /metrics guarded as configured: a bearer token compared in constant time, or 404 when it is
 * served on its own listener.
 */
export function metricsHandler(registry: client.Registry, access: { token?: string; separate?: boolean } = {}) {
  const want = access.token ? Buffer.from(`Bearer ${access.token}`) : undefined;
  return async (req: Request, res: Response, next: NextFunction) => {
    if (access.separate) return next();
    if (want) {
      const got = Buffer.from(String(req.headers.authorization ?? ''));
      if (got.length !== want.length || !timingSafeEqual(got, want)) {
        res.setHeader('WWW-Authenticate', 'Bearer realm="metrics"');
        return sendProblem(res, req, new Problem(401, 'unauthorized', 'Metrics need Authorization: Bearer <METRICS_TOKEN>'));
      }
    }
    res.setHeader('Cache-Control', 'no-store');
    res.type(registry.contentType).send(await registry.metrics());
  };
}

/** The METRICS_PORT listener's app: /metrics only (with the token too when one is set). */
export function metricsApp(registry: client.Registry, token?: string): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.get('/metrics', metricsHandler(registry, { token }));
  app.use((_req, res) => res.status(404).end());
  return app;
}

function staticHeaders(_req: Request, res: Response, next: NextFunction) {
  res.setHeader(
    'Content-Security-Policy',
    "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'",
  );
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Referrer-Policy', 'strict-origin-when-cross-origin');
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
  next();
}

/** The express app: middleware chain, the route registry and the one problem+json error handler. */
export function createHttpApp(deps: HttpDeps): { app: express.Express; api: Api; finish: () => void } {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', deps.trustProxy);
  app.set('etag', false);

  const httpDuration = new client.Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration by route',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [deps.metrics],
  });

  app.use(requestLog(deps.log, httpDuration));
  app.use(securityHeaders(deps.publicUrl.startsWith('https://')));
  app.use(cookieParser());
  app.use(csrfGuard(deps.publicUrl));
  // Unauthenticated device logs get a small body limit of their own (parsed here, so the general parser skips them).
  app.use('/v1/wallet/apple/v1/log', express.json({ limit: '16kb', strict: true, type: ['application/json', 'application/*+json'] }));
  // The exact bytes are kept for connectors' inbound routes, which verify vendor signatures over them.
  app.use(
    express.json({
      limit: '1mb',
      strict: true,
      type: ['application/json', 'application/*+json'],
      verify: (req, _res, buf) => {
        if (req.url?.startsWith('/connectors/')) (req as { rawBody?: Buffer }).rawBody = buf;
      },
    }),
  );
  // Writes must be JSON: a form or text body is refused instead of being read as empty.
  app.use((req, _res, next) => {
    const hasBody = Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
    const raw = api.rawUploads.get(`${req.method} ${req.path}`);
    if (raw && req.is(raw)) return next();
    if (['POST', 'PUT', 'PATCH'].includes(req.method) && hasBody && !req.is(['application/json', 'application/*+json']) && req.path.startsWith('/v1/')) {
      return next(new Problem(415, 'unsupported_media_type', 'Send the body as application/json'));
    }
    next();
  });

  app.get('/healthz', async (_req, res) => {
    const h = await deps.health();
    res.status(h.ok ? 200 : 503).json({ status: h.ok ? 'ok' : 'degraded', version: deps.version, ...h.checks });
  });
  app.get('/metrics', metricsHandler(deps.metrics, deps.metricsAccess));

  const router = express.Router();
  const api = new Api(router, authFactory(deps.tenants));
  app.use(router);

  // API docs: the OpenAPI document and a browsable page (Swagger UI served from our own origin).
  app.get('/v1/openapi.json', (_req, res) => {
    res.json(openApiDocument(api.specs, { title: 'Loyalty hub API', version: deps.version, serverUrl: deps.publicUrl }));
  });
  const swaggerDir = path.dirname(require.resolve('swagger-ui-dist/package.json'));
  app.get('/v1/docs', (_req, res) => {
    res.type('html').send(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Loyalty hub API</title>
<link rel="stylesheet" href="/v1/docs/assets/swagger-ui.css"></head><body><div id="swagger-ui"></div>
<script src="/v1/docs/assets/swagger-ui-bundle.js"></script><script src="/v1/docs/init.js"></script></body></html>`);
  });
  app.get('/v1/docs/init.js', (_req, res) => {
    res.type('application/javascript').send(`window.ui = SwaggerUIBundle({ url: '/v1/openapi.json', dom_id: '#swagger-ui', deepLinking: true });`);
  });
  app.use('/v1/docs/assets', express.static(swaggerDir, { index: false, maxAge: '1h' }));

  const finish = () => {
    if (deps.adminDir) {
      const dir = deps.adminDir;
      // Hashed assets never change; index.html must always be revalidated so a new build shows at once.
      app.use('/admin/assets', express.static(path.join(dir, 'assets'), { index: false, immutable: true, maxAge: '365d', fallthrough: true }));
      app.use('/admin', express.static(dir, { index: false, maxAge: 0 }));
      app.get(/^\/(admin|scanner)(\/.*)?$/, (_req, res, next) => {
        const index = path.join(dir, 'index.html');
        if (!fs.existsSync(index)) return next();
        res.setHeader('Cache-Control', 'no-cache');
        res.sendFile(index);
      });
    }
    app.get('/', (_req, res) => res.redirect('/admin'));
    app.use((req, res) => sendProblem(res, req, new Problem(404, 'route_not_found', `No route ${req.method} ${req.path}`)));
    app.use(errorHandler(deps.log));
  };
  return { app, api, finish };
}
