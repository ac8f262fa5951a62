import type { Request, Response } from 'express';
import { z } from 'zod';
import type { Api } from '../../http/api';
import { ROLE_SETS, SESSION_COOKIE } from '../../http/auth';
import type { TenantsService } from './tenants.service';
import { businessOut, locationOut, staffOut, terminalOut } from './tenants.service';
import {
  businessView,
  idParam,
  locationBody,
  locationView,
  loginBody,
  meView,
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

  api.route(
    {
      method: 'post',
      path: '/v1/admin/session',
      summary: 'Log in to the console',
      tags: ['Session'],
      auth: 'public',
      body: loginBody,
      response: meView,
      errors: [401, 429],
    },
    async (req: Request, res: Response) => {
      const { email, password } = req.valid.body;
      const { token, staff, expiresAt } = await tenants.login(email, password, req.ip ?? 'unknown');
      res.cookie(SESSION_COOKIE, token, { httpOnly: true, secure: cookie.secure, sameSite: 'strict', path: '/', expires: expiresAt });
      const business = await tenants.getBusiness({ businessId: staff.businessId, actor: { type: 'staff', id: staff.id } });
      return { staff: staffOut(staff), business: businessOut(business) };
    },
  );

  api.route(
    { method: 'get', path: '/v1/admin/session', summary: 'Who is logged in', tags: ['Session'], auth: { roles: ROLE_SETS.staff }, response: meView },
    async (req) => {
      const staff = (await tenants.staffByIds(req.ctx, [req.ctx.actor.id]))[0]!;
      return { staff: staffOut(staff), business: businessOut(await tenants.getBusiness(req.ctx)) };
    },
  );

  api.route({ method: 'delete', path: '/v1/admin/session', summary: 'Log out', tags: ['Session'], auth: 'public' }, async (req, res) => {
    const token = req.cookies?.[SESSION_COOKIE];
    if (typeof token === 'string') await tenants.logout(token);
    res.clearCookie(SESSION_COOKIE, { path: '/' });
    return undefined;
  });

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
}
