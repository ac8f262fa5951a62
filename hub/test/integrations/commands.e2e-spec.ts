import fs from 'node:fs';
import path from 'node:path';
import nock from 'nock';
import { CommandError, type CommandReply, type Envelope } from '@loyalty/sdk';
import { connector as acme, signAcme } from '@loyalty/connector-acme-crm';
import type { Bus } from '../../src/bus/bus';
import { newId } from '../../src/shared/ids';
import { dbBackends, busBackends, type DbBackend, type BusBackend, type TestBusiness } from '../harness';
import { BusKit } from '../bus/bus-test-kit';
import { integrationHub, type IntegrationHub } from './kit';

const SECRET = 'acme-hook-secret-000111';
const sample = (name: string) => fs.readFileSync(path.join(__dirname, '../../../fixtures/src/acme/webhooks', `${name}.json`), 'utf8');
const now = () => Math.floor(Date.now() / 1000);

/**
 * The hub answers connectors (issue 13): the Acme CRM example, installed through the console, turns
 * signed order webhooks into card lookups, quotes, commits, replays and refunds through bus commands
 * — on the memory bus and on RabbitMQ, on SQLite and on MariaDB. Refusals carry the HTTP API's codes.
 */
for (const db of dbBackends()) {
  for (const busKind of busBackends()) {
    describe(`connector commands [${db}] [${busKind}]`, () => {
      let kit: BusKit;
      let t: IntegrationHub;
      let b: TestBusiness;
      let programId: string;
      let bus: Bus;

      const admin = (method: 'get' | 'post' | 'patch' | 'delete', p: string) => t.http[method](p).set('Cookie', b.ownerCookie);
      const hook = (body: string) =>
        t.http
          .post(`/connectors/acme-crm/${b.businessId}/hooks`)
          .set('content-type', 'application/json')
          .set('x-acme-signature', signAcme(SECRET, body, now()))
          .send(body);
      const command = <T = unknown>(type: string, data: unknown, over: Partial<Envelope> = {}, timeoutMs = 5_000) =>
        bus.request<T>({ id: newId(), type, businessId: b.businessId, occurredAt: new Date().toISOString(), sender: 'acme-crm', data, ...over }, timeoutMs);
      const refusal = async (p: Promise<unknown>) => {
        const e = await p.then(
          () => undefined,
          (x: unknown) => x,
        );
        expect(e).toBeInstanceOf(CommandError);
        const c = e as CommandError;
        return { code: c.code, status: c.status, details: c.details };
      };
      const sales = async () => (await admin('get', '/v1/admin/checkouts?limit=200')).body.items as { id: string; source: string }[];

      beforeAll(async () => {
        nock.disableNetConnect();
        nock.enableNetConnect(/127\.0\.0\.1|localhost/);
        kit = new BusKit(busKind as BusBackend);
        bus = kit.bus();
        t = await integrationHub({ db: db as DbBackend, bus, connectors: [() => acme], env: { CONNECTORS: 'webhooks' } });
        b = await t.business();
        const p = await admin('post', '/v1/admin/programs').send({
          name: 'Coffee points',
          rules: { kind: 'bonus', accrualPercent: 5, maxRedeemPercent: 50, pointValueMinor: 100 },
          welcomeBonusPoints: 200,
        });
        expect(p.status).toBe(201);
        programId = p.body.id;
        const install = await admin('post', '/v1/admin/integrations').send({
          connectorId: 'acme-crm',
          enabled: true,
          config: { baseUrl: 'https://api.acme.test', apiKey: 'ak_0123456789abcdefXYZ', webhookSecret: SECRET, programId },
        });
        expect(install.status).toBe(201);
      });
      afterAll(async () => {
        await t.close();
        await kit.cleanup();
        nock.cleanAll();
      });

      it('upserts a guest by phone: once, however often Acme repeats it, recorded as the connector', async () => {
        const first = await hook(sample('contact-updated'));
        expect(first.status).toBe(200);
        expect(first.body).toMatchObject({ created: true });
        const again = await hook(sample('contact-updated'));
        expect(again.body).toEqual({ guestId: first.body.guestId, created: false });
        const guests = (await admin('get', '/v1/admin/guests?q=%2B79990000002')).body.items;
        expect(guests).toHaveLength(1);
        expect(guests[0]).toMatchObject({ phone: '+79990000002', name: 'Anna Petrova', email: 'anna@example.com', marketingConsent: true, source: 'acme-crm' });
        const history = (await admin('get', `/v1/admin/audit?targetId=${first.body.guestId}`)).body.items as {
          action: string;
          actorType: string;
          actorId: string;
        }[];
        expect(history).toEqual([expect.objectContaining({ action: 'guest.created', actorType: 'connector', actorId: 'acme-crm' })]);
      });

      it('a paid order: card issued for the phone, sale committed with points, the retry is the same sale, a refund once', async () => {
        const paid = await hook(sample('order-paid'));
        expect(paid.status).toBe(200);
        // 5% of 680.00 ₽ = 34 points on a card that got the 200-point welcome bonus.
        expect(paid.body).toMatchObject({ replayed: false, pointsAccrued: 34, pointsRedeemed: 0 });
        const retry = await hook(sample('order-paid'));
        expect(retry.body).toEqual({ ...paid.body, replayed: true });
        const mine = (await sales()).filter((s) => s.id === paid.body.checkoutId);
        expect(mine).toEqual([expect.objectContaining({ source: 'connector:acme-crm', receipt: expect.objectContaining({ number: '5001', till: 'acme' }) })]);
        expect((await sales()).length).toBe(1);

        const lookup = await command<CommandReply<'card.lookup'>>('card.lookup', { phone: '+7 999 000 00 02' });
        expect(lookup.card).toMatchObject({ pointsBalance: 234, pointValueMinor: 100, maxRedeemValueMinor: 23400 });

        const refund = await hook(sample('order-refunded'));
        expect(refund.status).toBe(200);
        expect(refund.body).toMatchObject({ replayed: false, pointsReversed: 9 });
        expect((await hook(sample('order-refunded'))).body).toEqual({ ...refund.body, replayed: true });
        const after = await command<CommandReply<'card.lookup'>>('card.lookup', { number: lookup.card.number });
        expect(after.card.pointsBalance).toBe(225);
      });

      it('quotes before payment and redeems by money: whole points only, never more than allowed', async () => {
        const order = JSON.parse(sample('order-paid')).data.order;
        const body = JSON.stringify({ ...order, id: 'ord_q1' });
        const q = await t.http
          .post(`/connectors/acme-crm/${b.businessId}/quote`)
          .set('content-type', 'application/json')
          .set('x-acme-signature', signAcme(SECRET, body, now()))
          .send(body);
        expect(q.status).toBe(200);
        // 225 points × 1.00 ₽ = 225.00 ₽ available; the cap is 50% of 680.00 ₽.
        expect(q.body).toMatchObject({ maxPayWithPointsMinor: 22500, balancePoints: 225 });
        const paid = JSON.parse(sample('order-paid'));
        paid.id = 'evt_q2';
        paid.data.order = { ...paid.data.order, id: 'ord_q2', number: 'q2', payWithPointsMinor: 10050 };
        const r = await hook(JSON.stringify(paid));
        expect(r.status).toBe(200);
        expect(r.body).toMatchObject({ pointsRedeemed: 100, redeemValueMinor: 10000 });
      });

      it('refuses with the HTTP API’s codes, and writes nothing', async () => {
        const before = (await sales()).length;
        const { card } = await command<CommandReply<'card.lookup'>>('card.lookup', { phone: '+79990000002' });
        const basket = { items: [{ sku: 'A', qty: 1, unitPriceMinor: 100000, amountMinor: 100000 }] };
        expect(await refusal(command('card.find', {}))).toMatchObject({ code: 'unknown_command', status: 400 });
        expect(await refusal(command('checkout.commit', { card: { id: card.id }, basket }))).toMatchObject({
          code: 'validation_failed',
          status: 400,
          details: { errors: [expect.objectContaining({ field: 'idempotencyKey' })] },
        });
        // The hub's own basket rule: the total must be the sum of the lines, as on the HTTP API.
        expect(await refusal(command('checkout.quote', { card: { id: card.id }, basket: { ...basket, totalMinor: 5 } }))).toMatchObject({
          code: 'validation_failed',
          details: { errors: [expect.objectContaining({ field: 'basket.totalMinor' })] },
        });
        expect(await refusal(command('card.lookup', { phone: '+79990000002' }, { sender: undefined }))).toMatchObject({ status: 401 });
        expect(await refusal(command('card.lookup', { phone: '+79990000002' }, { sender: 'echo-crm' }))).toMatchObject({
          code: 'connector_not_installed',
          status: 403,
        });
        const over = { card: { id: card.id }, basket, redeemPoints: 100000 };
        const http = await t.http.post('/v1/pos/checkouts/quote').set('Authorization', `Bearer ${b.terminalKey}`).send(over);
        expect(await refusal(command('checkout.commit', { ...over, idempotencyKey: 'too-much' }))).toMatchObject({ code: http.body.code, status: http.status });
        const receipt = { number: 'R-77', date: '2026-12-07', till: 'till-1' };
        const pos = await t.http
          .post('/v1/pos/checkouts')
          .set('Authorization', `Bearer ${b.terminalKey}`)
          .set('Idempotency-Key', 'pos-r77')
          .send({ card: { id: card.id }, basket, receipt, locationId: b.locationId });
        expect(pos.status).toBe(201);
        // The same sale arriving by a second path counts once: the first path's checkout answers.
        const same = await command<CommandReply<'checkout.commit'>>('checkout.commit', {
          card: { id: card.id },
          basket,
          receipt,
          locationId: b.locationId,
          idempotencyKey: 'acme-r77',
        });
        expect(same).toMatchObject({ id: pos.body.id, replayed: true });
        const other = { items: [{ sku: 'A', qty: 2, unitPriceMinor: 50000, amountMinor: 100000 }] };
        expect(
          await refusal(command('checkout.commit', { card: { id: card.id }, basket: other, receipt, locationId: b.locationId, idempotencyKey: 'acme-r77b' })),
        ).toMatchObject({
          code: 'receipt_already_recorded',
          status: 409,
          details: expect.objectContaining({ checkoutId: pos.body.id }),
        });
        expect((await sales()).length).toBe(before + 1);
        const off = await admin('patch', '/v1/admin/integrations/acme-crm').send({ enabled: false });
        expect(off.status).toBe(200);
        expect(await refusal(command('card.lookup', { phone: '+79990000002' }))).toMatchObject({ code: 'connector_not_installed', status: 403 });
        expect((await admin('patch', '/v1/admin/integrations/acme-crm').send({ enabled: true })).status).toBe(200);
      });

      it('a commit whose reply was lost has one effect when repeated', async () => {
        const { card } = await command<CommandReply<'card.lookup'>>('card.lookup', { phone: '+79990000002' });
        const req = {
          idempotencyKey: 'lost-reply-1',
          card: { id: card.id },
          basket: { items: [{ sku: 'B', qty: 1, unitPriceMinor: 50000, amountMinor: 50000 }] },
        };
        let dropped = 0;
        // The reply of the first commit comes after the caller's deadline: lost, as when the link drops.
        await bus.serveCommands(async (m) => {
          const r = await t.hub.commands.handle(m);
          if (m.type === 'checkout.commit' && dropped++ === 0) await new Promise((res) => setTimeout(res, 1_500));
          return r;
        });
        try {
          expect(await refusal(command('checkout.commit', req, {}, 1_000))).toMatchObject({ code: 'command_timeout', status: 504 });
          const again = await command<CommandReply<'checkout.commit'>>('checkout.commit', req);
          expect(again.replayed).toBe(true);
          expect((await sales()).filter((s) => s.id === again.id)).toHaveLength(1);
          const refundReq = { checkoutId: again.id, idempotencyKey: 'lost-refund-1', full: true };
          const r1 = await command<CommandReply<'checkout.refund'>>('checkout.refund', refundReq);
          const r2 = await command<CommandReply<'checkout.refund'>>('checkout.refund', refundReq);
          expect(r2).toEqual({ ...r1, replayed: true });
          expect((await command<CommandReply<'checkout.get'>>('checkout.get', { checkoutId: again.id })).refunded.amountMinor).toBe(50000);
        } finally {
          await bus.serveCommands(t.hub.commands.handle);
        }
      });

      it('holds, captures and cancels through commands; guests page for backfills', async () => {
        const { card } = await command<CommandReply<'card.lookup'>>('card.lookup', { phone: '+79990000002' });
        const basket = { items: [{ sku: 'C', qty: 1, unitPriceMinor: 20000, amountMinor: 20000 }] };
        const held = await command<CommandReply<'checkout.commit'>>('checkout.commit', {
          idempotencyKey: 'hold-1',
          mode: 'hold',
          card: { id: card.id },
          basket,
          redeemPoints: 10,
        });
        expect(held).toMatchObject({ status: 'held', pointsRedeemed: 10 });
        expect(await command<CommandReply<'checkout.capture'>>('checkout.capture', { checkoutId: held.id })).toMatchObject({ status: 'committed' });
        const held2 = await command<CommandReply<'checkout.commit'>>('checkout.commit', {
          idempotencyKey: 'hold-2',
          mode: 'hold',
          card: { id: card.id },
          basket,
          redeemPoints: 10,
        });
        expect(await command<CommandReply<'checkout.cancel'>>('checkout.cancel', { checkoutId: held2.id, reason: 'guest left' })).toMatchObject({
          status: 'canceled',
        });
        const page = await command<CommandReply<'guests.page'>>('guests.page', { limit: 1 });
        expect(page.items).toHaveLength(1);
        expect(page.items[0]).toMatchObject({ phone: '+79990000002' });
        expect(page.nextCursor).toBeNull();
        expect(await command<CommandReply<'guest.get'>>('guest.get', { phone: '89990000002' })).toMatchObject({ id: page.items[0]!.id });
        expect(await refusal(command('guest.get', { phone: '+79990009999' }))).toMatchObject({ code: 'guest_not_found', status: 404 });
      });
    });
  }
}

describe('a command with nothing to serve it', () => {
  for (const busKind of busBackends()) {
    it(`is told so at once, not after the deadline [${busKind}]`, async () => {
      const kit = new BusKit(busKind as BusBackend);
      const bus = kit.bus();
      await bus.start();
      try {
        const e = await bus
          .request({ id: newId(), type: 'card.lookup', businessId: 'b', occurredAt: new Date().toISOString(), sender: 'x', data: {} }, 60_000)
          .catch((x: unknown) => x);
        expect(e).toBeInstanceOf(CommandError);
        expect(e).toMatchObject({ code: 'no_command_server', status: 503 });
      } finally {
        await kit.cleanup();
      }
    });
  }
});
