import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { forbidden, unauthorized } from '../shared/errors';
import type { TenantsService } from '../modules/tenants/tenants.service';
import type { Auth, AuthFactory } from './api';

declare module 'express-serve-static-core' {
  interface Request {
    /** The console session behind this request (staff routes only). */
    staffSessionId?: string;
  }
}

/**
 * Routes a member who must enrol a second factor may still use: who am I, sign out, and their own
 * account pages (where enrolment happens).
 */
const ALLOWED_BEFORE_MFA = /^\/v1\/admin\/(session$|me\/)/;

function bearer(req: Request): string | undefined {
  const h = req.headers.authorization;
  if (h && /^Bearer\s+/i.test(h)) return h.replace(/^Bearer\s+/i, '').trim();
  const k = req.headers['x-api-key'];
  return typeof k === 'string' ? k.trim() : undefined;
}

/**
 * Authentication for routes: terminals by API key (Bearer or X-Api-Key), staff by the session
 * cookie. Sets `req.ctx` to the tenant and actor; never accepts a business id from the request.
 */
export function authFactory(tenants: TenantsService): AuthFactory {
  return (auth: Exclude<Auth, 'public'>, scope?: string): RequestHandler =>
    async (req: Request, _res: Response, next: NextFunction) => {
      try {
        if (auth === 'terminal') {
          const key = bearer(req);
          const who = key ? await tenants.authenticateTerminal(key, req.ip) : undefined;
          if (!who)
            throw unauthorized(
              key ? 'The API key is wrong or revoked' : 'An API key is required (Authorization: Bearer lk_…)',
              key ? 'invalid_api_key' : 'unauthorized',
            );
          if (scope && !who.actor.scopes?.includes(scope)) throw forbidden(`This terminal key lacks the "${scope}" scope`, 'missing_scope');
          req.ctx = { businessId: who.businessId, actor: who.actor, requestId: String(req.id) };
          return next();
        }
        const token = req.cookies?.[tenants.sessionCookie] as string | undefined;
        const session = token ? await tenants.resolveSession(token, req.ip) : undefined;
        if (!session) throw unauthorized('Please log in', token ? 'session_expired' : 'unauthorized');
        if (!auth.roles.includes(session.staff.role) && session.staff.role !== 'owner') throw forbidden();
        if (session.mfaMissing && !ALLOWED_BEFORE_MFA.test(req.path)) {
          throw forbidden('The business requires two-factor sign-in for your role: turn it on under Security first', 'mfa_enrolment_required');
        }
        req.ctx = { businessId: session.businessId, actor: session.actor, requestId: String(req.id) };
        req.staffSessionId = session.sessionId;
        next();
      } catch (e) {
        next(e);
      }
    };
}

/**
 * Cashiers get exact look-ups only (least privilege: a till needs the guest in front of it, not the
 * guest base). On a list route a cashier must name one of `keys` (a guest, a card); without one the
 * answer is 403 `exact_lookup_only`. Other roles list as before.
 */
export function exactLookupForCashier(req: Request, keys: string[]): void {
  if (req.ctx.actor.role !== 'cashier') return;
  const q = (req.valid?.query ?? {}) as Record<string, unknown>;
  if (keys.some((k) => q[k] !== undefined && q[k] !== '')) return;
  throw forbidden(`A cashier looks up one guest or card at a time: give ${keys.join(' or ')}`, 'exact_lookup_only');
}

export const ROLE_SETS = {
  owner: ['owner'],
  admins: ['owner', 'admin'],
  marketing: ['owner', 'admin', 'marketer'],
  staff: ['owner', 'admin', 'marketer', 'cashier'],
} as const;
