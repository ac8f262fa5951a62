import { Webhook } from 'standardwebhooks';
import { runConnector } from '@loyalty/sdk/testkit';
import { deliverHttp, isWebhookSecret, type WebhookDelivery } from '../src';
import { WebhookDeliveryEntity, WebhookEndpointEntity } from '../src/entities';
import { FakeClock, receiver, sale, webhooks, type Receiver } from './kit';

const waitFor = async (cond: () => boolean | Promise<boolean>, what: string, ms = 15_000) => {
  const until = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > until) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe('webhooks connector', () => {
  const open: { close(): Promise<void> }[] = [];
  const track = <T extends { close(): Promise<void> }>(x: T): T => (open.push(x), x);
  afterEach(async () => {
    await Promise.all(open.splice(0).map((x) => x.close()));
  });

  it('signs deliveries per Standard Webhooks: the reference library verifies them; thin payload; secret shown once', async () => {
    const rx = track(await receiver());
    const w = track(await webhooks());
    const { endpoint, secret } = await w.engine.createEndpoint('biz', { url: rx.url, eventTypes: ['checkout.*'] });
    expect(isWebhookSecret(secret)).toBe(true);
    expect(Buffer.from(secret.slice(6), 'base64').length).toBeGreaterThanOrEqual(24);
    expect(endpoint.secret).not.toContain(secret.slice(6)); // sealed at rest
    const run = track(await runConnector(w.def, { config: {}, businessId: 'biz', start: false }));
    const sent = await run.emit('checkout.committed', sale);
    await run.emit('card.issued', { cardId: 'c', guestId: null, programId: 'p', programKind: 'bonus', number: '1' }); // filtered out
    expect(sent.status).toBe('handled');
    await w.engine.runDue();
    expect(rx.requests).toHaveLength(1);
    const { headers, body } = rx.requests[0]!;
    const verified = new Webhook(secret).verify(body, headers as Record<string, string>);
    expect(verified).toEqual({ type: 'checkout.committed', timestamp: sent.envelope.occurredAt, data: sale });
    expect(headers['webhook-id']).toBe(sent.envelope.id);
    expect(headers['content-type']).toBe('application/json');
    expect(() => new Webhook('whsec_' + Buffer.alloc(32, 7).toString('base64')).verify(body, headers as Record<string, string>)).toThrow();
  });

  it('after a rotation both the new and (for a day) the old secret verify', async () => {
    const rx = track(await receiver());
    const w = track(await webhooks());
    const { endpoint, secret: old } = await w.engine.createEndpoint('biz', { url: rx.url });
    const { secret: fresh } = await w.engine.rotateSecret('biz', endpoint.id);
    const run = track(await runConnector(w.def, { config: {}, businessId: 'biz' }));
    await run.emit('checkout.committed', sale);
    await w.engine.runDue();
    const { headers, body } = rx.requests[0]!;
    expect(String(headers['webhook-signature']).split(' ')).toHaveLength(2);
    expect(new Webhook(fresh).verify(body, headers as Record<string, string>)).toBeTruthy();
    expect(new Webhook(old).verify(body, headers as Record<string, string>)).toBeTruthy();
  });

  it('a receiver failing 3 times then succeeding gets each event once by webhook-id', async () => {
    let n = 0;
    const rx = track(await receiver(() => ({ status: ++n <= 3 ? 500 : 200 })));
    // A short real schedule (the reference verifier checks the timestamp against the real clock).
    const w = track(await webhooks({ schedule: [20, 20, 20, 20], pollMs: 10 }));
    const { endpoint, secret } = await w.engine.createEndpoint('biz', { url: rx.url });
    const run = track(await runConnector(w.def, { config: {}, businessId: 'biz', start: true }));
    const e1 = await run.emit('checkout.committed', sale);
    await run.deliver(e1.envelope); // the bus redelivers: still one delivery
    await waitFor(async () => (await w.engine.listDeliveries('biz', endpoint.id, { limit: 1 }))[0]?.status === 'succeeded', 'the successful delivery');
    expect(rx.requests).toHaveLength(4);
    expect(new Set(rx.requests.map((r) => r.headers['webhook-id']))).toEqual(new Set([e1.envelope.id]));
    for (const r of rx.requests) expect(new Webhook(secret).verify(r.body, r.headers as Record<string, string>)).toBeTruthy();
    const [d] = await w.engine.listDeliveries('biz', endpoint.id, { limit: 10 });
    expect(d).toMatchObject({ status: 'succeeded', attempts: 4, lastStatusCode: 200, lastError: null });
    expect(d!.log.map((a) => [a.attempt, a.status, a.responseCode])).toEqual([
      [1, 'failed', 500],
      [2, 'failed', 500],
      [3, 'failed', 500],
      [4, 'succeeded', 200],
    ]);
    expect(d!.log.every((a) => a.durationMs >= 0)).toBe(true);
  });

  it('retries on the schedule immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h, then gives up', async () => {
    const clock = new FakeClock();
    const rx = track(await receiver(() => ({ status: 503 })));
    const w = track(await webhooks({ clock }));
    const { endpoint } = await w.engine.createEndpoint('biz', { url: rx.url, disableAfterDays: 30 });
    const run = track(await runConnector(w.def, { config: {}, businessId: 'biz' }));
    await run.emit('checkout.committed', sale);
    const gaps: number[] = [];
    let last = clock.ms;
    for (let i = 0; i < 12; i++) {
      await w.engine.runDue();
      const d = (await w.ds.getRepository(WebhookDeliveryEntity).findOneByOrFail({ endpointId: endpoint.id })) as WebhookDelivery;
      if (!d.nextAttemptAt) break;
      gaps.push((d.nextAttemptAt.getTime() - last) / 1000);
      // Just before it is due nothing is sent; at the time it is.
      clock.ms = d.nextAttemptAt.getTime() - 1;
      const before = rx.requests.length;
      await w.engine.runDue();
      expect(rx.requests.length).toBe(before);
      clock.ms = last = d.nextAttemptAt.getTime();
    }
    expect(gaps).toEqual([5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400]);
    expect(rx.requests).toHaveLength(10);
    const d = await w.ds.getRepository(WebhookDeliveryEntity).findOneByOrFail({ endpointId: endpoint.id });
    expect(d).toMatchObject({ status: 'failed', attempts: 10, lastStatusCode: 503 });
  });

  it('adds jitter on top of the schedule, never before it', async () => {
    const clock = new FakeClock();
    const rx = track(await receiver(() => ({ status: 500 })));
    const w = track(await webhooks({ clock, random: () => 0.5 }));
    const { endpoint } = await w.engine.createEndpoint('biz', { url: rx.url });
    const run = track(await runConnector(w.def, { config: {}, businessId: 'biz' }));
    await run.emit('checkout.committed', sale);
    await w.engine.runDue();
    const d = await w.ds.getRepository(WebhookDeliveryEntity).findOneByOrFail({ endpointId: endpoint.id });
    expect(d.nextAttemptAt!.getTime() - clock.ms).toBe(5500);
  });

  it('410 Gone disables the endpoint: nothing more is sent to it', async () => {
    const clock = new FakeClock();
    const rx = track(await receiver(() => ({ status: 410 })));
    const w = track(await webhooks({ clock }));
    const { endpoint } = await w.engine.createEndpoint('biz', { url: rx.url });
    const run = track(await runConnector(w.def, { config: {}, businessId: 'biz' }));
    await run.emit('checkout.committed', sale);
    await w.engine.runDue();
    expect(await w.engine.getEndpoint('biz', endpoint.id)).toMatchObject({ enabled: false, disabledReason: 'gone' });
    await run.emit('checkout.committed', { ...sale, checkoutId: 'co-2' });
    clock.advance(86_400_000);
    await w.engine.runDue();
    expect(rx.requests).toHaveLength(1);
    const [d] = await w.engine.listDeliveries('biz', endpoint.id, { limit: 10 });
    expect(d).toMatchObject({ status: 'failed', lastStatusCode: 410 });
    await expect(w.engine.replay('biz', endpoint.id, d!.id)).rejects.toMatchObject({ status: 409, code: 'endpoint_disabled' });
  });

  it('429 with Retry-After waits at least that long', async () => {
    const clock = new FakeClock();
    let n = 0;
    const rx = track(await receiver(() => (++n === 1 ? { status: 429, headers: { 'retry-after': '120' } } : { status: 200 })));
    const w = track(await webhooks({ clock }));
    await w.engine.createEndpoint('biz', { url: rx.url });
    const run = track(await runConnector(w.def, { config: {}, businessId: 'biz' }));
    await run.emit('checkout.committed', sale);
    await w.engine.runDue();
    clock.advance(60_000); // well past the 5 s schedule step
    await w.engine.runDue();
    expect(rx.requests).toHaveLength(1);
    clock.advance(61_000);
    await w.engine.runDue();
    expect(rx.requests).toHaveLength(2);
    expect(rx.ids.size).toBe(1);
  });

  it('does not follow redirects: a 3xx is a failed attempt and the target never sees the event', async () => {
    const target = track(await receiver());
    const rx = track(await receiver(() => ({ status: 302, headers: { location: target.url } })));
    const w = track(await webhooks());
    const { endpoint } = await w.engine.createEndpoint('biz', { url: rx.url });
    const run = track(await runConnector(w.def, { config: {}, businessId: 'biz' }));
    await run.emit('checkout.committed', sale);
    await w.engine.runDue();
    expect(rx.requests).toHaveLength(1);
    expect(target.requests).toHaveLength(0);
    const [d] = await w.engine.listDeliveries('biz', endpoint.id, { limit: 10 });
    expect(d).toMatchObject({ status: 'pending', lastStatusCode: 302, lastError: expect.stringContaining('redirects are not followed') });
  });

  it('gives up on a receiver that does not answer in time', async () => {
    const rx = track(await receiver(() => ({ status: 200, hang: true })));
    const w = track(await webhooks({ timeoutMs: 300 }));
    const { endpoint } = await w.engine.createEndpoint('biz', { url: rx.url });
    const run = track(await runConnector(w.def, { config: {}, businessId: 'biz' }));
    await run.emit('checkout.committed', sale);
    await w.engine.runDue();
    const [d] = await w.engine.listDeliveries('biz', endpoint.id, { limit: 10 });
    expect(d).toMatchObject({ status: 'pending', lastStatusCode: null, lastError: 'No answer within 300 ms' });
  });

  it('refuses private, loopback, link-local and metadata targets unless allowed', async () => {
    const w = track(await webhooks({ allowPrivate: false }));
    for (const url of [
      'http://10.0.0.5/hook',
      'http://127.0.0.1:8080/hook',
      'http://169.254.169.254/latest/meta-data',
      'http://[::1]/x',
      'http://localhost/x',
      'http://192.168.1.1/x',
    ]) {
      await expect(w.engine.createEndpoint('biz', { url })).rejects.toMatchObject({ status: 422, code: 'url_not_allowed' });
    }
    // At delivery time too (DNS may change after the endpoint was saved): nothing is connected to.
    const rx = track(await receiver());
    for (const url of ['http://10.1.2.3/x', 'http://169.254.169.254/latest/meta-data', rx.url, rx.url.replace('127.0.0.1', 'localhost')]) {
      const r = await deliverHttp({ url, headers: {}, body: '{}', timeoutMs: 2000, allowPrivate: false });
      expect(r).toMatchObject({ kind: 'error', code: 'refused_address' });
    }
    expect(rx.requests).toHaveLength(0);
    expect(await deliverHttp({ url: rx.url, headers: {}, body: '{}', timeoutMs: 2000, allowPrivate: true })).toMatchObject({ kind: 'response', status: 200 });
  });

  it('disables an endpoint after N days of continuous failure', async () => {
    const clock = new FakeClock();
    const rx = track(await receiver(() => ({ status: 500 })));
    const w = track(await webhooks({ clock }));
    const { endpoint } = await w.engine.createEndpoint('biz', { url: rx.url, disableAfterDays: 1 });
    const run = track(await runConnector(w.def, { config: {}, businessId: 'biz' }));
    await run.emit('checkout.committed', sale);
    for (let h = 0; h <= 36; h++) {
      await w.engine.runDue();
      clock.advance(3600_000);
    }
    const ep = await w.engine.getEndpoint('biz', endpoint.id);
    expect(ep).toMatchObject({ enabled: false, disabledReason: 'failing' });
    const [d] = await w.engine.listDeliveries('biz', endpoint.id, { limit: 1 });
    expect(d!.lastError).toContain('disabled after 1 days of failures');
    // A success in between would have reset the count: re-enabling clears it.
    const { after } = await w.engine.updateEndpoint('biz', endpoint.id, { enabled: true });
    expect(after).toMatchObject({ enabled: true, disabledReason: null, failingSince: null });
  });

  it('replays a delivered event with the same webhook-id', async () => {
    const rx = track(await receiver());
    const w = track(await webhooks());
    const { endpoint } = await w.engine.createEndpoint('biz', { url: rx.url });
    const run = track(await runConnector(w.def, { config: {}, businessId: 'biz' }));
    await run.emit('checkout.committed', sale);
    await w.engine.runDue();
    const [d] = await w.engine.listDeliveries('biz', endpoint.id, { limit: 1 });
    await w.engine.replay('biz', endpoint.id, d!.id);
    await w.engine.runDue();
    expect(rx.requests).toHaveLength(2);
    expect(rx.requests[0]!.headers['webhook-id']).toBe(rx.requests[1]!.headers['webhook-id']);
    const [again] = await w.engine.listDeliveries('biz', endpoint.id, { limit: 1 });
    expect(again).toMatchObject({ status: 'succeeded', attempts: 2 });
    await expect(w.engine.replay('other-biz', endpoint.id, d!.id)).rejects.toMatchObject({ status: 404 });
  });

  it('keeps businesses apart and drops a business’s data on uninstall', async () => {
    const w = track(await webhooks());
    await w.engine.createEndpoint('a', { url: 'https://hooks.example.com/a' });
    await w.engine.createEndpoint('b', { url: 'https://hooks.example.com/b' });
    expect((await w.engine.listEndpoints('a')).map((e) => e.url)).toEqual(['https://hooks.example.com/a']);
    await w.def.uninstall!('a');
    expect(await w.ds.getRepository(WebhookEndpointEntity).countBy({ businessId: 'a' })).toBe(0);
    expect(await w.ds.getRepository(WebhookEndpointEntity).countBy({ businessId: 'b' })).toBe(1);
  });
});

export type { Receiver };
