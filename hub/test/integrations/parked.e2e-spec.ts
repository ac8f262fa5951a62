import { busBackends } from '../harness';
import { BusKit } from '../bus/bus-test-kit';
import { consumerQueues } from '../../src/bus/rabbit-bus';
import { DEFAULT_RETRY_DELAYS_MS } from '../../src/bus/bus';
import { ECHO_KEY, echoCalls, echoState, integrationHub, waitFor, type IntegrationHub } from './kit';
import type { TestBusiness } from '../harness';

for (const backend of busBackends()) {
  describe(`connector messages that fail are parked, listed and replayed through the admin API [${backend}]`, () => {
    const kit = new BusKit(backend);
    let t: IntegrationHub;
    let b: TestBusiness;
    let other: TestBusiness;
    const admin = (method: 'get' | 'post', path: string, who = b) => t.http[method](path).set('Cookie', who.ownerCookie);
    const parked = async (who = b) =>
      (await admin('get', '/v1/admin/integrations/echo-crm/parked', who)).body.items as {
        messageId: string;
        type: string;
        error: string;
        attempts: number;
        data: { name: string };
      }[];

    beforeAll(async () => {
      t = await integrationHub({ bus: kit.bus() });
      b = await t.business();
      other = await t.business();
      for (const who of [b, other]) {
        expect((await admin('post', '/v1/admin/integrations', who).send({ connectorId: 'echo-crm', config: { apiKey: ECHO_KEY } })).status).toBe(201);
      }
    });
    afterAll(async () => {
      await t.close();
      if (backend === 'rabbitmq') {
        const n = kit.names();
        await kit.raw(async (ch) => {
          for (const q of [
            ...consumerQueues('connector.echo-crm', [20, 20], kit.namespace),
            ...consumerQueues('connector.webhooks', DEFAULT_RETRY_DELAYS_MS, kit.namespace),
          ])
            await ch.deleteQueue(q);
          await ch.deleteQueue(n.commands);
        });
      }
      await kit.cleanup();
    });

    it('parks a poison message at once (PermanentError) and a failing one after its retries', async () => {
      echoState.flaky = true;
      const poison = await t.event(b.businessId, 'guest.registered', { guestId: 'g-poison', phone: null, name: 'poison', source: null });
      const flaky = await t.event(b.businessId, 'guest.registered', { guestId: 'g-flaky', phone: null, name: 'flaky', source: null });
      await t.event(other.businessId, 'guest.registered', { guestId: 'g-other-poison', phone: null, name: 'poison', source: null });
      await waitFor(async () => (await parked()).length === 2, 'two parked messages');
      const items = await parked();
      const byId = Object.fromEntries(items.map((p) => [p.messageId, p]));
      expect(byId[poison]).toMatchObject({
        type: 'guest.registered',
        attempts: 1,
        error: 'Echo refuses guest g-poison (key [redacted])',
        data: { name: 'poison' },
      });
      expect(byId[flaky]).toMatchObject({ attempts: 3, error: 'Echo is down' });
      // Each business sees only its own.
      await waitFor(async () => (await parked(other)).length === 1, 'the other business’s parked message');
      expect((await parked(other))[0]!.data).toMatchObject({ guestId: 'g-other-poison' });
      const inst = (await admin('get', '/v1/admin/integrations/echo-crm')).body;
      expect(inst.lastError).toMatch(/Echo (refuses guest g-poison \(key \[redacted\]\)|is down)/);
      expect(JSON.stringify([items, inst])).not.toContain(ECHO_KEY);
    });

    it('replays a parked message once the cause is fixed; it is handled and leaves the list', async () => {
      const flaky = (await parked()).find((p) => p.data.name === 'flaky')!;
      echoState.flaky = false;
      const res = await admin('post', `/v1/admin/integrations/echo-crm/parked/${flaky.messageId}/replay`);
      expect(res.status).toBe(202);
      const mine = () => echoCalls.filter((c) => c.guestId === 'g-flaky' && c.businessId === b.businessId);
      await waitFor(() => mine().length > 0, 'the replayed message to be handled');
      expect(mine()).toHaveLength(1);
      expect((await parked()).map((p) => p.data.name)).toEqual(['poison']);
      const audit = await admin('get', '/v1/admin/audit?action=integration.message_replayed');
      expect(audit.body.items[0].after).toEqual({ messageId: flaky.messageId });
    });

    it('refuses to replay another business’s message or an unknown one', async () => {
      const theirs = (await parked(other))[0]!;
      expect((await admin('post', `/v1/admin/integrations/echo-crm/parked/${theirs.messageId}/replay`)).status).toBe(404);
      expect((await admin('post', '/v1/admin/integrations/echo-crm/parked/unknown-id/replay')).status).toBe(404);
      expect(await parked(other)).toHaveLength(1);
    });
  });
}
