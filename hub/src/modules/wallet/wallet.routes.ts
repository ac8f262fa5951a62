import { z } from 'zod';
import { googleCallbackBody, type GoogleCallbackBody } from './wallet.google-callbacks';
import type { Api } from '../../http/api';
import { ROLE_SETS } from '../../http/auth';
import { WindowLimiter } from '../../http/rate-limit';
import type { Request, Response } from 'express';
import type { Ctx } from '../../shared/context';
import { Problem, tooMany } from '../../shared/errors';
import { t } from '../../shared/i18n';
import type { Card } from '../cards/cards.entity';
import { idParam } from '../tenants/tenants.schemas';
import { PKPASS_MIME } from './wallet.apple';
import type { WalletService } from './wallet.service';
import {
  appleAccountBody,
  appleAccountView,
  cardLinksView,
  designView,
  deviceParams,
  deviceRegistrationParams,
  googleAccountBody,
  googleAccountView,
  IMAGE_SLOTS,
  imageUploadBody,
  imageView,
  installsQuery,
  installsView,
  logBody,
  passParams,
  registrationBody,
  sendLinkView,
  serialsQuery,
  serialsView,
  testPassView,
  walletDesignSchema,
  walletStatusView,
} from './wallet.schemas';

const programParam = z.strictObject({ programId: z.uuid() });
const imageParams = z.strictObject({ programId: z.uuid(), slot: z.enum(IMAGE_SLOTS) });
const publicCardParams = z.strictObject({ businessId: z.uuid(), cardId: z.uuid() });
const tokenQuery = z.object({ t: z.string().min(10).max(64) });
/** Apple device-log requests accepted per minute from one address. */
export const DEVICE_LOGS_PER_MINUTE = 20;
/** Card-link texts per card per hour (a guest who lost the text asks again; nobody floods a phone). */
export const CARD_LINK_SMS_PER_HOUR = 3;

/** Routes of the wallet module: console (designs, credentials), public downloads, Apple's web service. */
/** The guest pages the wallet routes answer with (the engagement module's, wired in hub.ts). */
export interface WalletPages {
  passUnavailable(locale: string, reason: string, cardPageUrl?: string): string;
}

export function walletRoutes(api: Api, wallet: WalletService, pages: WalletPages): void {
  const tags = ['Wallet'];
  const design = { roles: ROLE_SETS.marketing };
  const admins = { roles: ROLE_SETS.admins };

  // ---------- console: designs and images ----------
  api.route(
    {
      method: 'get',
      path: '/v1/admin/wallet/designs/:programId',
      summary: 'A program’s card design (defaults filled in) and its images',
      tags,
      auth: design,
      params: programParam,
      response: designView,
      errors: [404],
    },
    async (req) => wallet.designView(req.ctx, req.valid.params.programId),
  );
  api.route(
    {
      method: 'put',
      path: '/v1/admin/wallet/designs/:programId',
      summary: 'Set a program’s card design; every issued pass is updated (push / PATCH)',
      tags,
      auth: design,
      params: programParam,
      body: walletDesignSchema,
      response: designView,
      errors: [404],
    },
    async (req) => wallet.putDesign(req.ctx, req.valid.params.programId, req.valid.body),
  );
  api.route(
    {
      method: 'put',
      path: '/v1/admin/wallet/designs/:programId/images/:slot',
      summary: 'Upload an image (icon, logo, strip): a real PNG or JPEG within the slot’s pixel limits',
      description: 'The file goes as base64 in JSON. Apple Wallet uses PNG images only; a JPEG serves Google Wallet and the web pages.',
      tags,
      auth: design,
      params: imageParams,
      body: imageUploadBody,
      response: imageView,
      errors: [404, 413, 415, 422],
    },
    async (req) => wallet.putImage(req.ctx, req.valid.params.programId, req.valid.params.slot, req.valid.body.contentBase64),
  );
  api.route(
    {
      method: 'delete',
      path: '/v1/admin/wallet/designs/:programId/images/:slot',
      summary: 'Remove an image',
      tags,
      auth: design,
      params: imageParams,
      errors: [404],
    },
    async (req) => {
      await wallet.deleteImage(req.ctx, req.valid.params.programId, req.valid.params.slot);
    },
  );

  // ---------- console: credentials ----------
  api.route(
    {
      method: 'get',
      path: '/v1/admin/wallet/apple',
      summary: 'The Apple Wallet certificate on file (never the key)',
      tags,
      auth: admins,
      response: appleAccountView,
    },
    async (req) => wallet.appleAccount(req.ctx),
  );
  api.route(
    {
      method: 'put',
      path: '/v1/admin/wallet/apple',
      summary: 'Upload the Pass Type ID certificate and key (PEM or .p12), optionally the APNs key',
      description:
        'Checked before it is kept: a certificate that is expired, not a Pass Type ID certificate, not issued by the WWDR, or whose key does not match is refused with 422. The key is stored encrypted.',
      tags,
      auth: admins,
      body: appleAccountBody,
      response: appleAccountView,
      errors: [422],
    },
    async (req) => wallet.setAppleAccount(req.ctx, req.valid.body),
  );
  api.route(
    { method: 'delete', path: '/v1/admin/wallet/apple', summary: 'Remove the Apple Wallet certificate', tags, auth: admins, errors: [404] },
    async (req) => {
      await wallet.deleteAppleAccount(req.ctx);
    },
  );
  api.route(
    { method: 'get', path: '/v1/admin/wallet/google', summary: 'The Google Wallet issuer in use', tags, auth: admins, response: googleAccountView },
    async (req) => wallet.googleAccount(req.ctx),
  );
  api.route(
    {
      method: 'put',
      path: '/v1/admin/wallet/google',
      summary: 'Set the Google Wallet issuer id and service account key (stored encrypted)',
      tags,
      auth: admins,
      body: googleAccountBody,
      response: googleAccountView,
      errors: [422],
    },
    async (req) => wallet.setGoogleAccount(req.ctx, req.valid.body),
  );
  api.route(
    { method: 'delete', path: '/v1/admin/wallet/google', summary: 'Remove the business’s Google Wallet account', tags, auth: admins, errors: [404] },
    async (req) => {
      await wallet.deleteGoogleAccount(req.ctx);
    },
  );

  api.route(
    {
      method: 'get',
      path: '/v1/admin/wallet/status',
      summary: 'Both wallets’ settings: configured, certificate subject, expiry (warning 30 days before), fingerprints — never a key',
      description: 'Staff read it too: the guest profile offers "send the card link" by SMS only when smsAvailable.',
      tags,
      auth: { roles: ROLE_SETS.staff },
      response: walletStatusView,
    },
    async (req) => wallet.status(req.ctx),
  );
  api.route(
    {
      method: 'post',
      path: '/v1/admin/wallet/:platform/test-pass',
      summary: 'Issue a test pass with the credentials on file and verify it locally',
      description:
        'Apple: signs a .pkpass with the uploaded certificate and checks it as Wallet does (manifest SHA-1s, the PKCS#7 signature by the certificate, issued by the WWDR). Google: signs a "Save to Google Wallet" JWT with the service account key and verifies it locally. No network call; nothing is stored. 409 when the wallet is not set up.',
      tags,
      auth: admins,
      params: z.strictObject({ platform: z.enum(['apple', 'google']) }),
      response: testPassView,
      errors: [409],
    },
    async (req) => (req.valid.params.platform === 'apple' ? wallet.credentials.testApplePass(req.ctx) : wallet.credentials.testGooglePass(req.ctx)),
  );

  // ---------- console: a card's wallet links ----------
  api.route(
    {
      method: 'get',
      path: '/v1/admin/wallet/installs',
      summary: 'Whether each card is installed: Apple devices registered, Google save reported',
      tags,
      auth: { roles: ROLE_SETS.staff },
      query: installsQuery,
      response: installsView,
    },
    async (req) => wallet.installs(req.ctx, req.valid.query.cardIds),
  );
  const linkTexts = new WindowLimiter({ max: CARD_LINK_SMS_PER_HOUR, windowMs: 3_600_000 });
  api.route(
    {
      method: 'post',
      path: '/v1/admin/cards/:id/wallet/send-link',
      summary: 'Text the card’s guest the link to the card page (when an SMS provider is configured)',
      description: `409 sms_provider_missing without a real SMS provider, 409 guest_has_no_phone; at most ${CARD_LINK_SMS_PER_HOUR} texts per card per hour (429).`,
      tags,
      auth: { roles: ROLE_SETS.staff },
      params: idParam,
      response: sendLinkView,
      errors: [404, 409, 410, 429, 502],
    },
    async (req, res) =>
      wallet.sendCardLink(req.ctx, req.valid.params.id, () => {
        const hit = linkTexts.hit(`${req.ctx.businessId}:${req.valid.params.id}`);
        if (!hit.ok) {
          res.set('Retry-After', String(hit.retryAfterSeconds));
          throw tooMany('rate_limited', `The link was texted to this guest recently; try again in ${hit.retryAfterSeconds} s`, {
            retryAfterSeconds: hit.retryAfterSeconds,
          });
        }
      }),
  );
  api.route(
    {
      method: 'get',
      path: '/v1/admin/cards/:id/wallet',
      summary: 'A card’s page and wallet links, to send to the guest',
      tags,
      auth: { roles: ROLE_SETS.staff },
      params: idParam,
      response: cardLinksView,
      errors: [404],
    },
    async (req) => wallet.cardLinks(req.ctx, req.valid.params.id),
  );
  api.route(
    {
      method: 'get',
      path: '/v1/admin/cards/:id/wallet/apple.pkpass',
      summary: 'Download a card’s Apple Wallet pass',
      tags,
      auth: { roles: ROLE_SETS.staff },
      params: idParam,
      errors: [404, 409, 410],
    },
    async (req, res) => {
      const pass = await wallet.applePass(req.ctx, req.valid.params.id);
      res
        .status(200)
        .type(PKPASS_MIME)
        .set('Content-Disposition', 'attachment; filename="card.pkpass"')
        .set('Last-Modified', pass.lastModified.toUTCString())
        .send(pass.body);
    },
  );

  // ---------- Google Wallet save / delete callbacks ----------
  api.route(
    {
      method: 'post',
      path: '/v1/wallet/google/callbacks/:businessId',
      summary: 'Google Wallet save / delete callback (callbackOptions of the classes; ECv2SigningOnly signature verified)',
      tags,
      auth: 'public',
      params: z.strictObject({ businessId: z.uuid() }),
      body: googleCallbackBody,
      response: z.object({ result: z.enum(['saved', 'deleted', 'ignored']) }),
      errors: [401, 404],
    },
    async (req) => wallet.googleCallback(req.valid.params.businessId, req.valid.body as GoogleCallbackBody),
  );

  // ---------- public: downloads from the card page ----------
  /**
   * A guest's browser that follows the card page's Wallet link gets a page in the business's
   * language, never problem JSON: for a blocked or deleted card (`e` null: checked before the
   * pass is built) and for any refusal while building it. Apps asking for JSON keep the problem.
   */
  const humanRefusal = (req: Request, res: Response, ctx: Ctx, card: Card) => async (e: unknown) => {
    if (req.accepts(['json', 'html']) !== 'html') return false;
    if (e === null && card.status === 'active') return false;
    if (e !== null && !(e instanceof Problem)) return false;
    const locale = await wallet
      .content(ctx, card)
      .then((c) => c.business.locale)
      .catch(() => req.acceptsLanguages('ru', 'en') || 'en');
    const reason =
      card.status === 'blocked' ? t(locale, 'guest.blocked') : card.status === 'deleted' ? t(locale, 'guest.deleted') : t(locale, 'guest.noWallet');
    const status = e instanceof Problem ? e.status : card.status === 'deleted' ? 410 : 409;
    res
      .status(status)
      .set('Cache-Control', 'no-store')
      .type('html')
      .send(pages.passUnavailable(locale, reason, wallet.cardPageUrl(ctx.businessId, card.id)));
    return true;
  };
  api.route(
    {
      method: 'get',
      path: '/v1/public/cards/:businessId/:cardId/apple.pkpass',
      summary: 'The guest’s Apple Wallet pass (link from the card page)',
      tags,
      auth: 'public',
      params: publicCardParams,
      query: tokenQuery,
      errors: [404, 409, 410],
    },
    async (req, res) => {
      const { ctx, card } = await wallet.cardByAccess(req.valid.params.businessId, req.valid.params.cardId, req.valid.query.t);
      const human = humanRefusal(req, res, ctx, card);
      if (await human(null)) return;
      const pass = await wallet.applePass(ctx, card.id).catch(async (e: unknown) => {
        if (await human(e)) return null;
        throw e;
      });
      if (!pass) return;
      res
        .status(200)
        .type(PKPASS_MIME)
        .set('Content-Disposition', 'attachment; filename="card.pkpass"')
        .set('Cache-Control', 'no-store')
        .set('Last-Modified', pass.lastModified.toUTCString())
        .send(pass.body);
    },
  );
  api.route(
    {
      method: 'get',
      path: '/v1/public/cards/:businessId/:cardId/google',
      summary: 'Redirects to "Save to Google Wallet" for the guest’s card',
      tags,
      auth: 'public',
      params: publicCardParams,
      query: tokenQuery,
      status: 302,
      errors: [404, 409, 502],
    },
    async (req, res) => {
      const { ctx, card } = await wallet.cardByAccess(req.valid.params.businessId, req.valid.params.cardId, req.valid.query.t);
      const human = humanRefusal(req, res, ctx, card);
      if (await human(null)) return;
      const url = await wallet.googleSaveUrl(ctx, card.id).catch(async (e: unknown) => {
        if (await human(e)) return null;
        throw e;
      });
      if (url) res.set('Cache-Control', 'no-store').redirect(302, url);
    },
  );
  api.route(
    {
      method: 'get',
      path: '/v1/public/wallet/images/:businessId/:programId/:slot',
      summary: 'A design image (Google Wallet fetches logos from here)',
      tags,
      auth: 'public',
      params: z.strictObject({ businessId: z.uuid(), programId: z.uuid(), slot: z.enum(IMAGE_SLOTS) }),
      query: z.object({ v: z.string().max(40).optional() }),
      errors: [404],
    },
    async (req, res) => {
      const img = await wallet.publicImage(req.valid.params.businessId, req.valid.params.programId, req.valid.params.slot);
      res.status(200).type(img.mime).set('Cache-Control', 'public, max-age=300').set('ETag', `"${img.etag}"`).send(img.body);
    },
  );

  // ---------- Apple PassKit web service, verbatim: {webServiceURL}/v1/… ----------
  const apple = ['Apple Wallet web service'];
  const base = '/v1/wallet/apple/v1';
  api.route(
    {
      method: 'post',
      path: `${base}/devices/:deviceLibraryIdentifier/registrations/:passTypeIdentifier/:serialNumber`,
      summary: 'Register a device to receive push notifications for a pass',
      description: 'Authorization: ApplePass <authenticationToken>. 201 when newly registered, 200 when already registered, 401 for a wrong token.',
      tags: apple,
      auth: 'public',
      params: deviceRegistrationParams,
      body: registrationBody,
      status: 201,
      errors: [401, 404],
    },
    async (req, res) => {
      const p = req.valid.params;
      const status = await wallet.registerDevice(
        p.deviceLibraryIdentifier,
        p.passTypeIdentifier,
        p.serialNumber,
        req.headers.authorization,
        req.valid.body.pushToken,
      );
      res.status(status).end();
    },
  );
  api.route(
    {
      method: 'delete',
      path: `${base}/devices/:deviceLibraryIdentifier/registrations/:passTypeIdentifier/:serialNumber`,
      summary: 'Unregister a device from a pass',
      tags: apple,
      auth: 'public',
      params: deviceRegistrationParams,
      status: 200,
      errors: [401, 404],
    },
    async (req, res) => {
      const p = req.valid.params;
      await wallet.unregisterDevice(p.deviceLibraryIdentifier, p.passTypeIdentifier, p.serialNumber, req.headers.authorization);
      res.status(200).end();
    },
  );
  api.route(
    {
      method: 'get',
      path: `${base}/devices/:deviceLibraryIdentifier/registrations/:passTypeIdentifier`,
      summary: 'Serial numbers of the device’s passes updated since a tag',
      description: '200 with `{serialNumbers, lastUpdated}` (lastUpdated is a string tag), 204 when nothing changed.',
      tags: apple,
      auth: 'public',
      params: deviceParams,
      query: serialsQuery,
      response: serialsView,
      errors: [204],
    },
    async (req, res) => {
      const out = await wallet.serialsSince(req.valid.params.deviceLibraryIdentifier, req.valid.params.passTypeIdentifier, req.valid.query.passesUpdatedSince);
      if (!out) {
        res.status(204).end();
        return;
      }
      return out;
    },
  );
  api.route(
    {
      method: 'get',
      path: `${base}/passes/:passTypeIdentifier/:serialNumber`,
      summary: 'The latest version of a pass (also answers HEAD)',
      description: '200 with the .pkpass and Last-Modified; 304 when If-Modified-Since is not older than the pass; 401 for a wrong token.',
      tags: apple,
      auth: 'public',
      params: passParams,
      errors: [304, 401, 404],
    },
    async (req, res) => {
      const p = req.valid.params;
      const out = await wallet.latestPass(p.passTypeIdentifier, p.serialNumber, req.headers.authorization, req.headers['if-modified-since']);
      res.set('Last-Modified', out.lastModified.toUTCString()).set('Cache-Control', 'no-cache');
      if (out.status === 304) {
        res.status(304).end();
        return;
      }
      res.status(200).type(PKPASS_MIME).send(out.body);
    },
  );
  // Unauthenticated: rate-limited per IP (each device logs rarely), size-capped (logBody and a 16 KB body limit), logged at debug.
  const deviceLogs = new WindowLimiter({ max: DEVICE_LOGS_PER_MINUTE, windowMs: 60_000 });
  api.route(
    {
      method: 'post',
      path: `${base}/log`,
      summary: 'Log messages from devices',
      description: `At most ${DEVICE_LOGS_PER_MINUTE} requests per minute from one address (429 with Retry-After beyond), 20 messages of 1,000 characters, a 16 KB body.`,
      tags: apple,
      auth: 'public',
      body: logBody,
      status: 200,
      errors: [413, 429],
    },
    async (req, res) => {
      const hit = deviceLogs.hit(req.ip ?? 'unknown');
      if (!hit.ok) {
        res.set('Retry-After', String(hit.retryAfterSeconds));
        throw tooMany('rate_limited', `Too many device logs from this address; try again in ${hit.retryAfterSeconds} s`, {
          retryAfterSeconds: hit.retryAfterSeconds,
        });
      }
      wallet.deviceLog(req.valid.body.logs);
      res.status(200).end();
    },
  );
}
