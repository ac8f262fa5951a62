import type { Request, Response } from 'express';
import { z } from 'zod';
import type { Api } from '../../http/api';
import { ROLE_SETS } from '../../http/auth';
import { Problem } from '../../shared/errors';
import type { StaffUser } from './tenants.entity';
import type { TenantsService } from './tenants.service';
import { businessOut, locationOut, staffOut, terminalOut } from './tenants.service';
import {
  businessView,
  changePasswordBody,
  idParam,
  locationBody,
  locationView,
  loginAnswer,
  loginBody,
  meView,
  mfaCodeBody,
  mfaDisableBody,
  mfaEnrolmentView,
  mfaLoginBody,
  passwordChangedView,
  recoveryCodesView,
  securityView,
  staffBody,
  staffPatch,
  staffView,
  terminalBody,
  terminalCreated,
  terminalView,
  updateBusinessBody,
} from './tenants.schemas';

export function tenantsRoutes(api: Api, tenants: TenantsService, cookie: { secure: boolean; ttlHours: number }): void {
  const tags = ['Business'];

  /** Answers 429 with Retry-After when the sign-in back-off says to wait. */
  const withRetryAfter = async <T>(res: Response, run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (e) {
      const seconds = e instanceof Problem ? e.extra?.retryAfterSeconds : undefined;
      if (typeof seconds === 'number') res.setHeader('Retry-After', String(seconds));
      throw e;
    }
  };
  const startSession = async (res: Response, token: string, staff: StaffUser, expiresAt: Date) => {
    // The cookie lives as long as the session may; the hub also ends it after SESSION_IDLE_MINUTES idle.
    res.cookie(tenants.sessionCookie, token, { httpOnly: true, secure: cookie.secure, sameSite: 'strict', path: '/', expires: expiresAt });
    const business = await tenants.getBusiness({ businessId: staff.businessId, actor: { type: 'staff', id: staff.id } });
    return { staff: staffOut(staff), business: businessOut(business) };
  };

  api.route(
    {
      method: 'post',
      path: '/v1/admin/session',
      summary: 'Log in to the console (step two follows for members with a second factor)',
      description:
        'Answers the member and business with a session cookie, or — when the member has two-factor sign-in — `{mfaRequired: true, challenge}` to send with a code to POST /v1/admin/session/mfa. Wrong passwords back off (429 with Retry-After) per e-mail and address; a correct password from another address still signs in.',
      tags: ['Session'],
      auth: 'public',
      body: loginBody,
      response: loginAnswer,
      errors: [401, 429],
    },
    async (req: Request, res: Response) => {
      const { email, password } = req.valid.body;
      const r = await withRetryAfter(res, () => tenants.login(email, password, req.ip ?? 'unknown'));
      if (r.kind === 'mfa') return { mfaRequired: true as const, challenge: r.challenge, expiresAt: r.expiresAt };
      return startSession(res, r.token, r.staff, r.expiresAt);
    },
  );

  api.route(
    {
      method: 'post',
      path: '/v1/admin/session/mfa',
      summary: 'Second sign-in step: a code from the authenticator app or a recovery code',
      tags: ['Session'],
      auth: 'public',
      body: mfaLoginBody,
      response: meView,
      errors: [401, 429],
    },
    async (req: Request, res: Response) => {
      const { challenge, code } = req.valid.body;
      const r = await withRetryAfter(res, () => tenants.completeMfa(challenge, code, req.ip ?? 'unknown'));
      return startSession(res, r.token, r.staff, r.expiresAt);
    },
  );

  api.route(
    { method: 'get', path: '/v1/admin/session', summary: 'Who is logged in', tags: ['Session'], auth: { roles: ROLE_SETS.staff }, response: meView },
    async (req) => {
      const staff = (await tenants.staffByIds(req.ctx, [req.ctx.actor.id]))[0]!;
      return { staff: staffOut(staff), business: businessOut(await tenants.getBusiness(req.ctx)) };
    },
  );

  // The console asks this on every page load: a visitor without a session is a normal answer, not a 401.
  api.route(
    {
      method: 'get',
      path: '/v1/admin/session/probe',
      summary: 'Am I signed in? 200 with `signedIn` either way (the console’s first call)',
      description:
        'Unlike GET /v1/admin/session, an anonymous visitor gets 200 `{signedIn: false}` instead of 401, so the console’s start leaves no error in the browser.',
      tags: ['Session'],
      auth: 'public',
      response: z.union([meView.extend({ signedIn: z.literal(true) }), z.object({ signedIn: z.literal(false) })]),
    },
    async (req) => {
      const token = req.cookies?.[tenants.sessionCookie] as string | undefined;
      const session = typeof token === 'string' ? await tenants.resolveSession(token, req.ip) : undefined;
      if (!session) return { signedIn: false as const };
      const ctx = { businessId: session.businessId, actor: session.actor };
      return { signedIn: true as const, staff: staffOut(session.staff), business: businessOut(await tenants.getBusiness(ctx)) };
    },
  );

  api.route({ method: 'delete', path: '/v1/admin/session', summary: 'Log out', tags: ['Session'], auth: 'public' }, async (req, res) => {
    const token = req.cookies?.[tenants.sessionCookie];
    if (typeof token === 'string') await tenants.logout(token);
    res.clearCookie(tenants.sessionCookie, { path: '/', secure: cookie.secure, httpOnly: true, sameSite: 'strict' });
    return undefined;
  });

  // The signed-in member's own account: password and second factor.
  const me = ['Account'];
  api.route(
    {
      method: 'post',
      path: '/v1/admin/me/password',
      summary: 'Change my password (the current one is required; my other sessions end)',
      tags: me,
      auth: { roles: ROLE_SETS.staff },
      body: changePasswordBody,
      response: passwordChangedView,
      errors: [422, 429],
    },
    async (req, res) => withRetryAfter(res, () => tenants.changeOwnPassword(req.ctx, req.staffSessionId ?? '', req.valid.body)),
  );
  api.route(
    {
      method: 'get',
      path: '/v1/admin/me/security',
      summary: 'My two-factor sign-in state',
      tags: me,
      auth: { roles: ROLE_SETS.staff },
      response: securityView,
    },
    async (req) => tenants.security(req.ctx),
  );
  api.route(
    {
      method: 'post',
      path: '/v1/admin/me/mfa',
      summary: 'Start two-factor enrolment: a new TOTP secret, shown once (text, otpauth URI, QR)',
      tags: me,
      auth: { roles: ROLE_SETS.staff },
      response: mfaEnrolmentView,
      status: 201,
      errors: [409],
    },
    async (req) => tenants.startMfa(req.ctx),
  );
  api.route(
    {
      method: 'post',
      path: '/v1/admin/me/mfa/confirm',
      summary: 'Confirm enrolment with a code from the app; answers 10 one-time recovery codes (shown once)',
      tags: me,
      auth: { roles: ROLE_SETS.staff },
      body: mfaCodeBody,
      response: recoveryCodesView,
      errors: [409, 422],
    },
    async (req) => tenants.confirmMfa(req.ctx, req.staffSessionId ?? '', req.valid.body.code),
  );
  api.route(
    {
      method: 'post',
      path: '/v1/admin/me/mfa/disable',
      summary: 'Turn two-factor sign-in off (password and a current code)',
      tags: me,
      auth: { roles: ROLE_SETS.staff },
      body: mfaDisableBody,
      errors: [409, 422, 429],
    },
    async (req, res) => {
      await withRetryAfter(res, () => tenants.disableMfa(req.ctx, req.valid.body));
      return undefined;
    },
  );

  api.route(
    { method: 'get', path: '/v1/admin/business', summary: 'The business and its settings', tags, auth: { roles: ROLE_SETS.staff }, response: businessView },
    async (req) => businessOut(await tenants.getBusiness(req.ctx)),
  );

  api.route(
    {
      method: 'patch',
      path: '/v1/admin/business',
      summary: 'Change the business settings',
      tags,
      auth: { roles: ROLE_SETS.admins },
      body: updateBusinessBody,
      response: businessView,
    },
    async (req) => businessOut(await tenants.updateBusiness(req.ctx, req.valid.body)),
  );

  // Locations
  api.route(
    {
      method: 'get',
      path: '/v1/admin/locations',
      summary: 'List locations',
      tags: ['Locations'],
      auth: { roles: ROLE_SETS.staff },
      response: z.object({ items: z.array(locationView) }),
    },
    async (req) => ({
      items: (await tenants.listLocations(req.ctx)).map(locationOut),
    }),
  );
  api.route(
    {
      method: 'post',
      path: '/v1/admin/locations',
      summary: 'Add a location',
      tags: ['Locations'],
      auth: { roles: ROLE_SETS.admins },
      body: locationBody,
      response: locationView,
      status: 201,
    },
    async (req) => locationOut(await tenants.createLocation(req.ctx, req.valid.body)),
  );
  api.route(
    {
      method: 'get',
      path: '/v1/admin/locations/:id',
      summary: 'One location',
      tags: ['Locations'],
      auth: { roles: ROLE_SETS.staff },
      params: idParam,
      response: locationView,
      errors: [404],
    },
    async (req) => locationOut(await tenants.getLocation(req.ctx, req.valid.params.id)),
  );
  api.route(
    {
      method: 'patch',
      path: '/v1/admin/locations/:id',
      summary: 'Change a location',
      tags: ['Locations'],
      auth: { roles: ROLE_SETS.admins },
      params: idParam,
      body: locationBody.partial(),
      response: locationView,
      errors: [404],
    },
    async (req) => locationOut(await tenants.updateLocation(req.ctx, req.valid.params.id, req.valid.body)),
  );

  // Terminals
  api.route(
    {
      method: 'get',
      path: '/v1/admin/terminals',
      summary: 'List terminals',
      tags: ['Terminals'],
      auth: { roles: ROLE_SETS.admins },
      response: z.object({ items: z.array(terminalView) }),
    },
    async (req) => ({
      items: (await tenants.listTerminals(req.ctx)).map(terminalOut),
    }),
  );
  api.route(
    {
      method: 'post',
      path: '/v1/admin/terminals',
      summary: 'Create a terminal and its API key (shown once)',
      tags: ['Terminals'],
      auth: { roles: ROLE_SETS.admins },
      body: terminalBody,
      response: terminalCreated,
      status: 201,
      errors: [404],
    },
    async (req) => {
      const { terminal, key } = await tenants.createTerminal(req.ctx, req.valid.body);
      return { ...terminalOut(terminal), key };
    },
  );
  api.route(
    {
      method: 'post',
      path: '/v1/admin/terminals/:id/revoke',
      summary: 'Revoke a terminal key',
      tags: ['Terminals'],
      auth: { roles: ROLE_SETS.admins },
      params: idParam,
      response: terminalView,
      errors: [404],
    },
    async (req) => terminalOut(await tenants.revokeTerminal(req.ctx, req.valid.params.id)),
  );

  // Staff
  api.route(
    {
      method: 'get',
      path: '/v1/admin/staff',
      summary: 'List staff',
      tags: ['Staff'],
      auth: { roles: ROLE_SETS.admins },
      response: z.object({ items: z.array(staffView) }),
    },
    async (req) => ({
      items: (await tenants.listStaff(req.ctx)).map(staffOut),
    }),
  );
  api.route(
    {
      method: 'post',
      path: '/v1/admin/staff',
      summary: 'Add a staff member',
      tags: ['Staff'],
      auth: { roles: ROLE_SETS.admins },
      body: staffBody,
      response: staffView,
      status: 201,
      errors: [409],
    },
    async (req) => staffOut(await tenants.createStaff(req.ctx, req.valid.body)),
  );
  api.route(
    {
      method: 'patch',
      path: '/v1/admin/staff/:id',
      summary: 'Change a staff member (role, access, password)',
      tags: ['Staff'],
      auth: { roles: ROLE_SETS.admins },
      params: idParam,
      body: staffPatch,
      response: staffView,
      errors: [404, 409],
    },
    async (req) => staffOut(await tenants.updateStaff(req.ctx, req.valid.params.id, req.valid.body)),
  );
  api.route(
    {
      method: 'post',
      path: '/v1/admin/staff/:id/mfa/reset',
      summary: 'Turn off a member’s two-factor sign-in (lost phone and recovery codes); their sessions end',
      tags: ['Staff'],
      auth: { roles: ROLE_SETS.admins },
      params: idParam,
      response: staffView,
      errors: [404, 409],
    },
    async (req) => staffOut(await tenants.resetStaffMfa(req.ctx, req.valid.params.id)),
  );
}
