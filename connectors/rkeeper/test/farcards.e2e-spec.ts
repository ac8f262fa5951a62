import { randomUUID } from 'node:crypto';
import nock from 'nock';
import { FakeFarCards, type Transport } from '../../../fixtures/src/rkeeper/farcards-client';
import { loadCases, matchReply, render, type FarCardsCase } from '../../../fixtures/src/rkeeper/cases';
import type { Bus } from '../../../hub/src/bus/bus';
import { BusKit } from '../../../hub/test/bus/bus-test-kit';
import { busBackends, dbBackends, type BusBackend, type DbBackend, type TestBusiness } from '../../../hub/test/harness';
import { integrationHub, type IntegrationHub } from '../../../hub/test/integrations/kit';
import { assertLedgerInvariants } from '../../../hub/test/loyalty/fixtures';
import { createConnector, isoToRkDate } from '../src';

const KEY = 'rk-farcards-key-0123456789abcdef';
const cases = loadCases();
const byName = new Map(cases.map((c) => [c.name, c]));

/**
 * r_keeper's FARCARDS (the fake in fixtures/src/rkeeper) drives the connector inside the real hub:
 * every recorded case of fixtures/src/rkeeper/cases — lookups, QR codes, sales, rollbacks, returns,
 * return rollbacks, duplicate batches and vendor errors — on SQLite and MariaDB, on the memory bus
 * and RabbitMQ. Each case runs on a fresh card; its effect on the card is checked through the hub.
 */
for (const db of dbBackends()) {
  for (const busKind of busBackends()) {
    describe(`r_keeper FarCards through the hub [${db}] [${busKind}]`, () => {
      let kit: BusKit;
      let bus: Bus;
      let t: IntegrationHub;
      let b: TestBusiness;
      let programId: string;
      let giftProgramId: string;
      let seq = 0;
      const admin = (method: 'get' | 'post' | 'patch' | 'delete' | 'put', p: string) => t.http[method](p).set('Cookie', b.ownerCookie);
      const pos = (method: 'get' | 'post', p: string) => t.http[method](p).set('Authorization', `Bearer ${b.terminalKey}`);
      const transport =
        (key: string): Transport =>
        async (suffix, body) => {
          const res = await t.http
            .post(`/connectors/rkeeper/${b.businessId}/farcards${suffix}`)
            .query({ k: key })
            .set('content-type', 'text/xml; charset=utf-8')
            .send(Buffer.from(body, 'utf8'));
          return { status: res.status, text: res.text, contentType: res.headers['content-type'] };
        };

      const freshCard = async () => {
        const phone = `+7999${String(3_000_000 + ++seq + Math.floor(Math.random() * 900_000)).padStart(7, '0')}`;
        const res = await admin('post', '/v1/admin/guests').send({ phone, name: 'Анна Петрова', programId });
        expect(res.status).toBe(201);
        return res.body.card as { id: string; number: string; qr: string };
      };
      const freshGift = async () => {
        const res = await admin('post', '/v1/admin/cards').send({ programId: giftProgramId, giftNominalMinor: 50000 });
        expect(res.status).toBe(201);
        return res.body as { id: string; number: string; qr: string };
      };
      const balances = async (number: string) => {
        const card = (await pos('get', '/v1/pos/cards/lookup').query({ number })).body.card as { pointsBalance: number; giftBalanceMinor: number };
        return { points: card.pointsBalance, gift: card.giftBalanceMinor };
      };
      const points = async (number: string) => (await balances(number)).points;
      const salesOf = async (cardId: string) =>
        ((await admin('get', '/v1/admin/checkouts?limit=200')).body.items as { id: string; cardId: string; status: string }[]).filter(
          (c) => c.cardId === cardId && c.status !== 'canceled',
        );

      beforeAll(async () => {
        nock.disableNetConnect();
        nock.enableNetConnect(/127\.0\.0\.1|localhost/);
        kit = new BusKit(busKind as BusBackend);
        bus = kit.bus();
        t = await integrationHub({ db: db as DbBackend, bus, connectors: [createConnector], env: { CONNECTORS: 'webhooks' } });
        b = await t.business();
        const p = await admin('post', '/v1/admin/programs').send({
          name: 'Кофейные баллы',
          rules: { kind: 'bonus', accrualPercent: 5, maxRedeemPercent: 50, pointValueMinor: 100 },
          welcomeBonusPoints: 200,
        });
        expect(p.status).toBe(201);
        programId = p.body.id;
        const gift = await admin('post', '/v1/admin/programs').send({ name: 'Сертификат', rules: { kind: 'gift', nominalsMinor: [50000], expiryDays: 365 } });
        expect(gift.status).toBe(201);
        giftProgramId = gift.body.id;
        const install = await admin('post', '/v1/admin/integrations').send({
          connectorId: 'rkeeper',
          enabled: true,
          config: { farcardsKey: KEY, discountNumber: 25, bonusNumber: 4, tills: [{ restaurant: 1, unit: 3, locationId: b.locationId, till: 'rk-1-3' }] },
        });
        expect(install.status).toBe(201);
      });
      afterAll(async () => {
        await assertLedgerInvariants({ hub: t.hub } as never);
        await t.close();
        await kit.cleanup();
        nock.cleanAll();
      });

      const run = async (c: FarCardsCase, vars: Record<string, string>, key = KEY) => {
        const fake = new FakeFarCards(transport(c.expect.key === 'wrong' ? `${key}x` : key));
        const answer = await fake.send(render(c.request, vars), { suffix: c.expect.suffix });
        const diffs = matchReply(c.reply, answer.text, vars);
        // On a mismatch, show what the connector logged about it (the hub's refusal, if any).
        if (diffs.length)
          throw new Error(
            `case ${c.name}:\n${diffs.join('\n')}\n${answer.text}\n${t.logs
              .filter((l) => l.includes('rkeeper:'))
              .slice(-2)
              .join('')}`,
          );
        return answer;
      };

      it.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
        const card = c.expect.cardKind === 'gift' ? await freshGift() : await freshCard();
        const blocked = c.expect.cardStatus === 'blocked';
        if (blocked) expect((await admin('post', `/v1/admin/cards/${card.id}/status`).send({ status: 'blocked' })).status).toBe(200);
        const today = new Date().toISOString().slice(0, 10);
        const vars: Record<string, string> = {
          card: card.number,
          qr: card.qr,
          unknownCard: '1019999999999',
          restaurant: '1',
          unit: '3',
          check: String(40_000 + ++seq),
          rkdate: String(isoToRkDate(today)),
          date: today,
          guid: `{${randomUUID().toUpperCase()}}`,
        };
        for (const before of c.expect.after ?? []) {
          const pre = byName.get(before);
          if (!pre) throw new Error(`case ${c.name}: unknown "after" case ${before}`);
          await run(pre, vars);
        }
        if (c.expect.posFirst) {
          const other = await pos('post', '/v1/pos/checkouts')
            .set('Idempotency-Key', `other-path-${vars.check}`)
            .send({
              card: { number: card.number },
              basket: { items: [{ sku: '12', qty: 1, unitPriceMinor: 30000, amountMinor: 30000 }] },
              receipt: { number: vars.check, date: today, till: 'rk-1-3' },
              locationId: b.locationId,
            });
          expect(other.status).toBe(201);
        }
        const before = blocked ? undefined : await balances(card.number);
        const answers = [];
        for (let i = 0; i < (c.expect.repeat ?? 1); i++) answers.push(await run(c, vars));
        // A repeated batch answers exactly the same (same ext_id), and has one effect.
        for (const a of answers.slice(1)) expect(a.text).toBe(answers[0]!.text);
        const after = before && (await balances(card.number));
        if (c.expect.pointsDelta !== undefined && before && after) expect(after.points - before.points).toBe(c.expect.pointsDelta);
        if (c.expect.giftDelta !== undefined && before && after) expect(after.gift - before.gift).toBe(c.expect.giftDelta);
        if (c.expect.checkouts !== undefined) expect(await salesOf(card.id)).toHaveLength(c.expect.checkouts);
        if (c.expect.refundedMinor !== undefined) {
          const [sale] = await salesOf(card.id);
          expect((await admin('get', `/v1/admin/checkouts/${sale!.id}`)).body.refunded.amountMinor).toBe(c.expect.refundedMinor);
        }
      });

      it('the same batch sent again while the first is still in flight (a till retrying) has one effect and one answer', async () => {
        const card = await freshCard();
        const today = new Date().toISOString().slice(0, 10);
        const vars = {
          card: card.number,
          restaurant: '1',
          unit: '3',
          check: String(80_000 + ++seq),
          rkdate: String(isoToRkDate(today)),
          date: today,
          guid: `{${randomUUID().toUpperCase()}}`,
        };
        const before = await points(card.number);
        const fake = new FakeFarCards(transport(KEY));
        const body = render(byName.get('sale')!.request, vars);
        const answers = await Promise.all([fake.send(body), fake.send(body), fake.send(body)]);
        for (const a of answers) expect(a.result).toBe(0);
        expect(new Set(answers.map((a) => a.trresponse!.children[0]!.attrs.ext_id)).size).toBe(1);
        expect((await points(card.number)) - before).toBe(-90);
        expect(await salesOf(card.id)).toHaveLength(1);
      });

      it('logs the path of every FarCards call but never its key', async () => {
        const card = await freshCard();
        await new FakeFarCards(transport(KEY)).getCardInfo(card.number, { restaurant: '1', unit: '3' });
        const lines = t.logs.filter((l) => l.includes(`/connectors/rkeeper/${b.businessId}/farcards`));
        expect(lines.length).toBeGreaterThan(0);
        expect(t.logs.join('\n')).not.toContain(KEY);
      });

      it('records the sale at the mapped location and till, as the connector, with the hub figures reported back', async () => {
        const card = await freshCard();
        const today = new Date().toISOString().slice(0, 10);
        const vars = {
          card: card.number,
          restaurant: '1',
          unit: '3',
          check: String(90_000 + ++seq),
          rkdate: String(isoToRkDate(today)),
          date: today,
          guid: `{${randomUUID().toUpperCase()}}`,
        };
        const answer = await run(byName.get('sale')!, vars);
        const extId = answer.trresponse!.children[0]!.attrs.ext_id!;
        const sale = (await admin('get', `/v1/admin/checkouts/${extId}`)).body;
        expect(sale).toMatchObject({
          id: extId,
          status: 'committed',
          locationId: b.locationId,
          source: 'connector:rkeeper',
          totalMinor: 30000,
          pointsRedeemed: 100,
          redeemValueMinor: 10000,
          pointsAccrued: 10,
          receipt: { number: vars.check, date: today, till: 'rk-1-3' },
        });
      });
    });
  }
}
