import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';
import { Problem } from '../shared/errors';
import { isDbUnavailable } from '../db/db';

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export function sendProblem(res: Response, req: Request, p: Problem): void {
  res
    .status(p.status)
    .type('application/problem+json')
    .json({
      ...(p.extra ?? {}),
      type: `urn:loyalty:problem:${p.code}`,
      title: TITLES[p.status] ?? 'Error',
      status: p.status,
      code: p.code,
      detail: p.message,
      ...(p.errors ? { errors: p.errors } : {}),
      instance: req.originalUrl.split('?')[0],
      requestId: req.id,
    });
}

/** Turns body-parser and other framework errors into the problems a client can act on. */
function fromFramework(e: { type?: string; status?: number; statusCode?: number; message?: string }): Problem | undefined {
  switch (e.type) {
    case 'entity.parse.failed':
      return new Problem(400, 'malformed_json', 'The request body is not valid JSON', [{ field: 'body', message: 'Malformed JSON' }]);
    case 'entity.too.large':
      return new Problem(413, 'body_too_large', 'The request body is too large');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new Problem(415, 'unsupported_encoding', 'Unsupported content encoding or charset');
    case 'request.aborted':
      return new Problem(400, 'request_aborted', 'The request was aborted');
  }
  const status = e.status ?? e.statusCode;
  if (status && status >= 400 && status < 500) return new Problem(status, 'bad_request', 'The request could not be read');
  return undefined;
}

/** The one error handler: problems as they are, framework errors mapped, everything else a bare 500. */
export function errorHandler(log: Logger) {
  return (err: unknown, req: Request, res: Response, _next: NextFunction) => {
    if (res.headersSent) return;
    if (err instanceof Problem) return sendProblem(res, req, err);
    const fw = fromFramework(err as object);
    if (fw) return sendProblem(res, req, fw);
    if (isDbUnavailable(err)) {
      log.error({ err, reqId: req.id }, 'database unavailable');
      res.setHeader('Retry-After', '5');
      return sendProblem(res, req, new Problem(503, 'database_unavailable', 'The service is temporarily unavailable; retry shortly'));
    }
    log.error({ err, reqId: req.id }, 'unhandled error');
    sendProblem(res, req, new Problem(500, 'internal_error', 'An unexpected error occurred; quote the request id when reporting it'));
  };
}
