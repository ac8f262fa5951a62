import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { Problem } from '../shared/errors';

/** Names the staff session cookie has (`__Host-` prefixed when the hub runs on https). */
const SESSION_COOKIES = ['lh_session', '__Host-lh_session'];
const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** The origin (`scheme://host[:port]`) of a URL, or undefined when it is not one. */
function originOf(url: string): string | undefined {
  try {
    const o = new URL(url).origin;
    return o === 'null' ? undefined : o;
  } catch {
    return undefined;
  }
}

/**
 * Whether a state-changing request may act on a staff session: the verdict of the browser's own
 * headers, which a page on another site cannot forge.
 *
 * - `Sec-Fetch-Site` present: only `same-origin` (the console, the web scanner) or `none` (typed
 *   by the user) pass; `same-site` is refused too (a sibling subdomain is another party).
 * - else `Origin` present: it must be the hub's public origin (PUBLIC_URL) or the origin the
 *   request was addressed to (scheme + Host); `null` (sandboxed frames, file://) is refused.
 * - neither: allowed. Browsers send at least one of them on every cross-site POST, PUT, PATCH
 *   and DELETE (fetch and forms alike), so a request with neither comes from a non-browser
 *   client (curl, scripts, supertest), which no other site can make act with the owner's cookie.
 */
export function sameOriginVerdict(req: Pick<Request, 'headers' | 'protocol'>, publicOrigin: string | undefined): { ok: true } | { ok: false; why: string } {
  const site = req.headers['sec-fetch-site'];
  if (typeof site === 'string' && site !== '') {
    return site === 'same-origin' || site === 'none' ? { ok: true } : { ok: false, why: `Sec-Fetch-Site: ${site}` };
  }
  const origin = req.headers.origin;
  if (typeof origin === 'string' && origin !== '') {
    const given = originOf(origin);
    const own = req.headers.host ? originOf(`${req.protocol}://${req.headers.host}`) : undefined;
    if (given && (given === publicOrigin || given === own)) return { ok: true };
    return { ok: false, why: `Origin: ${origin.slice(0, 100)}` };
  }
  return { ok: true };
}

/**
 * CSRF defence beyond SameSite: every POST, PUT, PATCH and DELETE that carries the staff session
 * cookie (bodyless ones included) must come from the hub's own origin, else 403
 * `csrf_origin_mismatch`. Requests authenticated by a terminal key (Authorization / X-Api-Key)
 * are not cookie-authenticated and pass untouched; so do requests without the session cookie.
 */
export function csrfGuard(publicUrl: string): RequestHandler {
  const publicOrigin = originOf(publicUrl);
  return (req: Request, _res: Response, next: NextFunction) => {
    if (!UNSAFE.has(req.method)) return next();
    const cookies = (req.cookies ?? {}) as Record<string, unknown>;
    if (!SESSION_COOKIES.some((n) => cookies[n] !== undefined)) return next();
    if (req.headers.authorization || req.headers['x-api-key']) return next();
    const v = sameOriginVerdict(req, publicOrigin);
    if (v.ok) return next();
    next(new Problem(403, 'csrf_origin_mismatch', `This request did not come from the hub's own pages (${v.why}); it was refused to protect your session`));
  };
}
