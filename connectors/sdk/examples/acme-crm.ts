/**
 * A worked example of a connector (see README.md): Acme CRM, a made-up CRM with a REST API.
 * - guest.registered -> PUT /v1/contacts/{guestId} (idempotent upsert on our id)
 * - checkout.committed -> POST /v1/deals with an Idempotency-Key (the envelope id)
 * - inbound: Acme calls POST /connectors/acme-crm/<businessId>/hooks when a contact changes its phone;
 *   we verify its HMAC over the raw body and ask the hub to update the guest (`guest.upsert` command).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { Router } from 'express';
import { z } from 'zod';
import { CONTRACT_VERSION, defineConnector, PermanentError, rawBody, secret, type EventData } from '../src';

export const configSchema = z.object({
  baseUrl: z.url().default('https://api.acme-crm.example'),
  apiKey: secret(z.string().regex(/^ak_[A-Za-z0-9]{16,}$/, 'an Acme API key (ak_…)')),
  /** Signs Acme's calls to our inbound route. */
  webhookSecret: secret().optional(),
  pipelineId: z.string().min(1).default('default'),
});
type AcmeConfig = z.output<typeof configSchema>;

// ---- translate: pure functions, vendor <-> contract --------------------------------------------

export type Translation<T> = { kind: 'ok'; value: T } | { kind: 'ignored'; reason: string } | { kind: 'rejected'; reason: string };

export function toAcmeContact(g: EventData<'guest.registered'>): Translation<{ externalId: string; phone: string; name: string | null; source: string }> {
  if (!g.phone) return { kind: 'ignored', reason: 'guest has no phone' };
  return { kind: 'ok', value: { externalId: g.guestId, phone: g.phone, name: g.name, source: g.source ?? 'loyalty' } };
}

export function toAcmeDeal(
  c: EventData<'checkout.committed'>,
  pipelineId: string,
): Translation<{ contactExternalId: string; amount: number; currency: string; pipelineId: string }> {
  if (!c.guestId) return { kind: 'ignored', reason: 'anonymous sale' };
  if (c.totalMinor < 0) return { kind: 'rejected', reason: 'negative total' };
  return { kind: 'ok', value: { contactExternalId: c.guestId, amount: c.totalMinor - c.discountMinor, currency: c.currency, pipelineId } };
}

// ---- transport ---------------------------------------------------------------------------------

const auth = (c: AcmeConfig) => ({ authorization: `Bearer ${c.apiKey}` });

/** Maps Acme's answer: 2xx ok, 4xx (but 408/429) permanent, anything else transient. */
function expectOk(status: number, what: string): void {
  if (status >= 200 && status < 300) return;
  if (status >= 400 && status < 500 && status !== 408 && status !== 429) throw new PermanentError(`Acme refused ${what}: HTTP ${status}`);
  throw new Error(`Acme answered ${status} to ${what}`);
}

export const connector = defineConnector({
  manifest: {
    id: 'acme-crm',
    name: 'Acme CRM',
    category: 'crm',
    version: '1.0.0',
    contractVersion: CONTRACT_VERSION,
    consumes: ['guest.registered', 'checkout.committed'],
    sends: ['guest.upsert'],
    description: 'Creates an Acme contact for every new guest and a deal for every sale.',
  },
  configSchema,
  handlers: {
    'guest.registered': async (msg, ctx) => {
      const t = toAcmeContact(msg.data);
      if (t.kind === 'ignored') return ctx.log.debug({ reason: t.reason }, 'guest not sent to Acme');
      if (t.kind === 'rejected') throw new PermanentError(t.reason);
      const r = await ctx.http.put(`${ctx.config.baseUrl}/v1/contacts/${encodeURIComponent(t.value.externalId)}`, t.value, {
        headers: auth(ctx.config),
        validateStatus: () => true,
      });
      expectOk(r.status, 'the contact');
      await ctx.store.set(`contact:${msg.data.guestId}`, (r.data as { id: string }).id);
    },
    'checkout.committed': async (msg, ctx) => {
      const t = toAcmeDeal(msg.data, ctx.config.pipelineId);
      if (t.kind === 'ignored') return;
      if (t.kind === 'rejected') throw new PermanentError(t.reason);
      // Not synced yet (events are not ordered across types): a transient failure, retried later.
      if (!(await ctx.store.get<string>(`contact:${t.value.contactExternalId}`))) throw new Error('contact not in Acme yet');
      const r = await ctx.http.post(`${ctx.config.baseUrl}/v1/deals`, t.value, {
        headers: { ...auth(ctx.config), 'idempotency-key': msg.id },
        validateStatus: () => true,
      });
      expectOk(r.status, 'the deal');
    },
  },
  inbound: (ctx) => {
    const router = Router();
    router.post('/:businessId/hooks', async (req, res, next) => {
      try {
        const c = await ctx.forBusiness(String(req.params.businessId));
        if (!c || !c.config.webhookSecret) return void res.status(404).json({ error: 'not_installed' });
        const expected = createHmac('sha256', c.config.webhookSecret).update(rawBody(req)).digest();
        const given = Buffer.from(String(req.headers['x-acme-signature'] ?? ''), 'hex');
        if (given.length !== expected.length || !timingSafeEqual(given, expected)) return void res.status(401).json({ error: 'bad_signature' });
        const body = req.body as { event?: string; contact?: { externalId?: string; phone?: string } };
        if (body.event !== 'contact.updated' || !body.contact?.externalId) return void res.json({ ignored: true });
        await c.hub.request('guest.upsert', { guestId: body.contact.externalId, phone: body.contact.phone });
        res.json({ ok: true });
      } catch (e) {
        next(e);
      }
    });
    return router;
  },
  check: async (config, ctx) => {
    const r = await ctx.http.get(`${config.baseUrl}/v1/me`, { headers: auth(config), validateStatus: () => true });
    if (r.status === 200) return { ok: true, detail: `Connected as ${(r.data as { account?: string }).account ?? 'unknown'}` };
    return { ok: false, error: r.status === 401 ? 'Acme refused the API key' : `Acme answered ${r.status}` };
  },
});
