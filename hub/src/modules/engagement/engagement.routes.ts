import fs from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import type { NextFunction, Request, Response } from 'express';
import { z } from 'zod';
import type { Api } from '../../http/api';
import { ROLE_SETS } from '../../http/auth';
import { Problem } from '../../shared/errors';
import { langOf } from '../../shared/i18n';
import { idParam } from '../tenants/tenants.schemas';
import { WalletBadges } from './engagement.badges';
import { cardPage, closedFormPage, errorPage, notFoundPage, registrationPage } from './engagement.pages';
import { detectPlatform, utmFromQuery } from './engagement.rules';
import {
  cardLinkBody,
  cardLinkResult,
  formBody,
  formPatch,
  engagementNotice,
  formView,
  linkSentResult,
  publicRegistrationBody,
  registrationResult,
  registrationsQuery,
  registrationView,
  slugParam,
  smsCodeBody,
  smsCodeView,
  smsPolicyPatch,
  smsPolicyView,
} from './engagement.schemas';
import type { EngagementService } from './engagement.service';

const REGISTER_JS = path.join(__dirname, 'public', 'register.js');
const CARD_JS = path.join(__dirname, 'public', 'card.js');
const CARD_SW_JS = path.join(__dirname, 'public', 'card-sw.js');

/**
 * The guest pages are compressed here (the hub has no compression middleware, and a phone on a slow
 * network pays for every byte): /join and /card stay within their weight budgets on a cold load.
 */
function gzipFor(req: Request, res: Response, html: string): string | Buffer {
  res.vary('Accept-Encoding');
  if (req.acceptsEncodings('gzip') !== 'gzip') return html;
  res.set('Content-Encoding', 'gzip');
  return gzipSync(html);
}

/** Routes of the engagement module: forms in the console, the public API, and the guest pages. */
export function engagementRoutes(api: Api, engagement: EngagementService, opts: { badgesDir?: string | null } = {}): void {
  const tags = ['Engagement'];
  const badges = new WalletBadges(opts.badgesDir ?? null, (msg, file) => engagement.d.log.warn({ file }, msg));
  const marketing = { roles: ROLE_SETS.marketing };

  // ---------- console ----------
  api.route(
    { method: 'get', path: '/v1/admin/engagement/forms', summary: 'Registration pages of the business', tags, auth: marketing, response: z.array(formView) },
    async (req) => (await engagement.listForms(req.ctx)).map((f) => engagement.formOut(f)),
  );
  api.route(
    {
      method: 'post',
      path: '/v1/admin/engagement/forms',
      summary: 'Create a registration page for a program',
      tags,
      auth: marketing,
      body: formBody,
      response: formView,
      status: 201,
      errors: [404, 409],
    },
    async (req) => engagement.formOut(await engagement.createForm(req.ctx, req.valid.body)),
  );
  api.route(
    {
      method: 'get',
      path: '/v1/admin/engagement/forms/:id',
      summary: 'One registration page',
      tags,
      auth: marketing,
      params: idParam,
      response: formView,
      errors: [404],
    },
    async (req) => engagement.formOut(await engagement.getForm(req.ctx, req.valid.params.id)),
  );
  api.route(
    {
      method: 'patch',
      path: '/v1/admin/engagement/forms/:id',
      summary: 'Change a registration page',
      tags,
      auth: marketing,
      params: idParam,
      body: formPatch,
      response: formView,
      errors: [404, 409],
    },
    async (req) => engagement.formOut(await engagement.updateForm(req.ctx, req.valid.params.id, req.valid.body)),
  );
  api.route(
    {
      method: 'get',
      path: '/v1/admin/engagement/forms/:id/registrations',
      summary: 'Registrations through a page (UTM tags, referral codes, consent time)',
      tags,
      auth: marketing,
      params: idParam,
      query: registrationsQuery,
      response: z.object({ items: z.array(registrationView), nextCursor: z.string().nullable() }),
      errors: [404],
    },
    async (req) => {
      const r = await engagement.registrations(req.ctx, req.valid.params.id, req.valid.query);
      return {
        items: r.items.map((x) => ({
          id: x.id,
          guestId: x.guestId,
          cardId: x.cardId,
          existingGuest: x.existingGuest,
          utm: x.utm,
          referralCode: x.referralCode,
          consentAt: x.consentAt,
          createdAt: x.createdAt,
        })),
        nextCursor: r.nextCursor,
      };
    },
  );

  api.route(
    {
      method: 'get',
      path: '/v1/admin/engagement/sms-policy',
      summary: 'SMS policy: daily budget, caps per IP and per page, allowed countries; today’s spending',
      tags,
      auth: marketing,
      response: smsPolicyView,
    },
    async (req) => engagement.smsPolicy(req.ctx),
  );
  api.route(
    {
      method: 'patch',
      path: '/v1/admin/engagement/sms-policy',
      summary: 'Change the SMS policy (owners and admins)',
      description: 'Raising the daily budget above today’s spending reopens registration by SMS at once.',
      tags,
      auth: { roles: ROLE_SETS.admins },
      body: smsPolicyPatch,
      response: smsPolicyView,
    },
    async (req) => engagement.updateSmsPolicy(req.ctx, req.valid.body),
  );
  api.route(
    {
      method: 'get',
      path: '/v1/admin/engagement/notices',
      summary: 'Warnings for the console: SMS budget spent today, pages without SMS verification',
      tags,
      auth: marketing,
      response: z.array(engagementNotice),
    },
    async (req) => engagement.notices(req.ctx),
  );

  // ---------- public API (used by the page's script) ----------
  const publicTags = ['Public pages'];
  api.route(
    {
      method: 'get',
      path: '/v1/public/forms/:slug',
      summary: 'A registration page’s definition (fields, variables, consent texts)',
      tags: publicTags,
      auth: 'public',
      params: slugParam,
      errors: [404],
    },
    async (req) => {
      const f = await engagement.publicForm(req.valid.params.slug);
      const { id: _i, createdAt: _c, ...out } = engagement.formOut(f.form);
      return { ...out, businessName: f.businessName, programName: f.programName };
    },
  );
  api.route(
    {
      method: 'post',
      path: '/v1/public/forms/:slug/sms-codes',
      summary: 'Send a verification code by SMS (one a minute and 3 an hour per phone, within the business’s SMS policy)',
      description:
        'Every phone gets the same answer (a blacklisted one too: its code is simply never sent). 422 phone_country_not_allowed outside the allowed countries; ' +
        '429 sms_cooldown (a second code for the phone within resendAfterSeconds: it is not counted against the hourly cap), sms_limit (3 per phone per hour), sms_ip_limit, sms_form_limit or sms_budget_exhausted, ' +
        'each with Retry-After and retryAfterSeconds: the seconds left.',
      tags: publicTags,
      auth: 'public',
      params: slugParam,
      body: smsCodeBody,
      response: smsCodeView,
      status: 201,
      errors: [404, 409, 422, 429, 502],
    },
    async (req, res) => {
      try {
        return await engagement.requestCode(req.valid.params.slug, req.valid.body.phone, { ip: req.ip, userAgent: req.get('user-agent') });
      } catch (e) {
        if (e instanceof Problem && e.status === 429 && e.extra?.retryAfterSeconds) res.setHeader('Retry-After', String(e.extra.retryAfterSeconds));
        throw e;
      }
    },
  );
  api.route(
    {
      method: 'post',
      path: '/v1/public/forms/:slug/registrations',
      summary: 'Register and get the card: its page link after the SMS code, or by SMS on pages without codes',
      description:
        'With SMS verification: 201 with the card link. Wrong code: 422 with attemptsLeft; the fifth wrong attempt burns the code (429); a blacklisted phone (which proved it holds the number) 403. ' +
        'Without SMS verification: 202 `link_sent` for every phone, registered or not: the card link goes to the phone by SMS. Consent is required.',
      tags: publicTags,
      auth: 'public',
      params: slugParam,
      body: publicRegistrationBody,
      response: z.union([registrationResult, linkSentResult]),
      status: 201,
      errors: [403, 404, 409, 410, 422, 429, 502],
    },
    async (req, res) => {
      try {
        const out = await engagement.register(req.valid.params.slug, req.valid.body, { ip: req.ip, userAgent: req.get('user-agent') });
        if ('status' in out) {
          res.status(202).json(out);
          return undefined;
        }
        return out;
      } catch (e) {
        if (e instanceof Problem && e.status === 429 && e.extra?.retryAfterSeconds) res.setHeader('Retry-After', String(e.extra.retryAfterSeconds));
        throw e;
      }
    },
  );

  api.route(
    {
      method: 'post',
      path: '/v1/public/forms/:slug/card-links',
      summary: '«Already have a card?»: the card link of a phone, after its SMS code (or by SMS on pages without codes)',
      description:
        'With SMS verification: 200 with the card link once the code proves the phone; 404 no_card when the phone has no card in the program. ' +
        'Without SMS verification: 202 `link_sent` for every phone; a member’s link goes to the phone by SMS.',
      tags: publicTags,
      auth: 'public',
      params: slugParam,
      body: cardLinkBody,
      response: z.union([cardLinkResult, linkSentResult]),
      errors: [404, 409, 410, 422, 429, 502],
    },
    async (req, res) => {
      try {
        const out = await engagement.recoverCard(req.valid.params.slug, req.valid.body, { ip: req.ip, userAgent: req.get('user-agent') });
        if ('status' in out) {
          res.status(202).json(out);
          return undefined;
        }
        return out;
      } catch (e) {
        if (e instanceof Problem && e.status === 429 && e.extra?.retryAfterSeconds) res.setHeader('Retry-After', String(e.extra.retryAfterSeconds));
        throw e;
      }
    },
  );

  // ---------- pages ----------
  // The language of a page that could not find its business: the browser's.
  const browserLocale = (req: Request) => req.acceptsLanguages('ru', 'en') || 'en';
  const html =
    (fn: (req: Request, res: Response) => Promise<void>, locale: (req: Request) => Promise<string> | string = browserLocale) =>
    async (req: Request, res: Response, _next: NextFunction) => {
      try {
        await fn(req, res);
      } catch (e) {
        const loc = await Promise.resolve(locale(req)).catch(() => browserLocale(req));
        res.set('Cache-Control', 'no-store');
        if (e instanceof Problem && e.status === 404) {
          res.status(404).type('html').send(notFoundPage(loc));
          return;
        }
        // 503 while the database reconnects, 500: a human page with a retry, never JSON or a stack.
        const raw = e instanceof Problem ? e.status : Number((e as { status?: unknown } | null)?.status);
        const status = raw >= 400 && raw < 600 ? raw : 500;
        if (status >= 500) engagement.d.log.error({ err: e, path: req.path }, 'guest page failed');
        res.status(status).type('html').send(errorPage(loc, req.originalUrl));
      }
    };
  api.router.get(
    '/join/:slug',
    html(async (req, res) => {
      const slug = String(req.params.slug);
      if (!/^[a-z0-9-]{3,64}$/i.test(slug)) throw new Problem(404, 'form_not_found', 'Registration page not found');
      const closed = await engagement.closedForm(slug);
      if (closed) {
        res.status(410).set('Cache-Control', 'no-store').type('html').send(closedFormPage(closed));
        return;
      }
      const f = await engagement.publicForm(slug);
      const q = req.query as Record<string, unknown>;
      const ref = typeof q.ref === 'string' ? q.ref.trim().slice(0, 16) : undefined;
      res
        .set('Cache-Control', 'no-store')
        .type('html')
        .send(gzipFor(req, res, registrationPage(f, { utm: utmFromQuery(q) as Record<string, string>, ref })));
    }),
  );
  api.router.get('/card/sw.js', (_req, res) => {
    res.set('Cache-Control', 'no-cache').set('Service-Worker-Allowed', '/card/').type('application/javascript').sendFile(CARD_SW_JS);
  });
  api.router.get(
    '/card/:businessId/:cardId',
    html(
      async (req, res) => {
        const { businessId, cardId } = req.params as { businessId: string; cardId: string };
        const uuid = /^[0-9a-f-]{36}$/i;
        if (!uuid.test(businessId) || !uuid.test(cardId)) throw new Problem(404, 'not_found', 'Card not found');
        const t = typeof req.query.t === 'string' ? req.query.t : undefined;
        const data = await engagement.cardPage(businessId, cardId, t);
        const platform = detectPlatform(req.get('user-agent'));
        const isNew = req.query.new === '1';
        // The moment of success: the official badges (Google's on Android and desktop, Apple's where the operator put it in place).
        const lang = langOf(data.content.business.locale);
        const shown =
          isNew && data.content.card.status === 'active'
            ? { google: platform === 'ios' ? null : badges.googleBadge(lang), apple: platform === 'android' ? null : await badges.appleBadge(lang) }
            : undefined;
        res
          .set('Cache-Control', 'no-store')
          .set('Referrer-Policy', 'no-referrer')
          .set('Vary', 'User-Agent')
          .type('html')
          .send(
            gzipFor(
              req,
              res,
              await cardPage(data, platform, { isNew, refIgnored: req.query.ref === 'ignored', badges: shown }),
            ),
          );
      },
      async (req) => (await engagement.businessLocale(String(req.params.businessId))) ?? browserLocale(req),
    ),
  );
  badges.routes(api.router);
  for (const [url, file] of [
    ['/static/engagement/register.js', REGISTER_JS],
    ['/static/engagement/card.js', CARD_JS],
  ] as const) {
    const plain = fs.readFileSync(file);
    const zipped = gzipSync(plain, { level: 9 });
    api.router.get(url, (req, res) => {
      res.set('Cache-Control', 'public, max-age=300').type('application/javascript').vary('Accept-Encoding');
      if (req.acceptsEncodings('gzip') === 'gzip') res.set('Content-Encoding', 'gzip').send(zipped);
      else res.send(plain);
    });
  }
}
