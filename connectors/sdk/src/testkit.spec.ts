import { createHmac } from 'node:crypto';
import nock from 'nock';
import supertest from 'supertest';
import { connector } from '../examples/acme-crm';
import { runConnector } from './testkit';

const API = 'https://api.acme.test';
const KEY = 'ak_0123456789abcdefXYZ';
const config = { baseUrl: API, apiKey: KEY, webhookSecret: 'acme-hook-secret-000111' };
const guest = { guestId: 'g-1', phone: '+79990000001', name: 'Anna', source: 'pos' };

describe('testkit: the Acme CRM example runs without a database or a broker', () => {
  afterEach(() => nock.cleanAll());

  it('sends the exact payload, with the key, and remembers the vendor id', async () => {
    const scope = nock(API, { reqheaders: { authorization: `Bearer ${KEY}` } })
      .put('/v1/contacts/g-1', { externalId: 'g-1', phone: '+79990000001', name: 'Anna', source: 'pos' })
      .reply(200, { id: 'acme-42' });
    const run = await runConnector(connector, { config });
    const r = await run.emit('guest.registered', guest);
    expect(r).toMatchObject({ status: 'handled' });
    expect(scope.isDone()).toBe(true);
    expect(run.requests).toEqual([expect.objectContaining({ method: 'PUT', url: `${API}/v1/contacts/g-1`, status: 200 })]);
    expect(await run.store.get('contact:g-1')).toBe('acme-42');
    expect(run.outcomes).toEqual([{ ok: true }]);
  });

  it('handles a message id once: a redelivery is a duplicate', async () => {
    nock(API).put('/v1/contacts/g-1').once().reply(200, { id: 'acme-42' });
    const run = await runConnector(connector, { config });
    const first = await run.emit('guest.registered', guest);
    expect(await run.deliver(first.envelope)).toEqual({ status: 'duplicate' });
    expect(run.requests).toHaveLength(1);
  });

  it('a 5xx is retried (failed), a 4xx is parked, bad data is parked before any HTTP', async () => {
    const run = await runConnector(connector, { config });
    nock(API).put('/v1/contacts/g-1').reply(503);
    expect(await run.emit('guest.registered', guest)).toMatchObject({ status: 'failed', error: 'Acme answered 503 to the contact' });
    nock(API).put('/v1/contacts/g-1').reply(422);
    expect(await run.emit('guest.registered', guest)).toMatchObject({ status: 'parked' });
    const bad = await run.emit('guest.registered', { ...guest, guestId: 42 } as never);
    expect(bad).toMatchObject({ status: 'parked', error: expect.stringContaining('guestId') });
    expect(run.requests).toHaveLength(2);
  });

  it('ignores businesses that have not installed it', async () => {
    const run = await runConnector(connector, { config });
    expect(await run.emit('guest.registered', guest, { businessId: 'someone-else' })).toMatchObject({ status: 'not_installed' });
    run.uninstall();
    expect(await run.emit('guest.registered', guest)).toMatchObject({ status: 'not_installed' });
  });

  it('never lets the API key into logs or error texts', async () => {
    nock(API).put('/v1/contacts/g-1').replyWithError(`connection reset while sending Bearer ${KEY}`);
    const run = await runConnector(connector, { config });
    const r = await run.emit('guest.registered', { ...guest, phone: null });
    expect(r.status).toBe('handled'); // ignored by the translator: no phone
    const failed = await run.emit('guest.registered', guest);
    expect(failed.status).toBe('failed');
    expect(JSON.stringify([failed, run.logs, run.outcomes])).not.toContain(KEY);
  });

  it('serves the inbound route with the raw body for the signature, and sends the hub a command', async () => {
    const run = await runConnector(connector, { config });
    run.commands.on('guest.upsert', (d) => ({ guestId: d.guestId, updated: true }));
    const body = JSON.stringify({ event: 'contact.updated', contact: { externalId: 'g-1', phone: '+79990000002' } });
    const sig = createHmac('sha256', config.webhookSecret).update(body).digest('hex');
    const http = supertest(run.app);
    const ok = await http.post(`/connectors/acme-crm/${run.businessId}/hooks`).set('content-type', 'application/json').set('x-acme-signature', sig).send(body);
    expect(ok.status).toBe(200);
    expect(run.commands.calls).toEqual([{ type: 'guest.upsert', data: { guestId: 'g-1', phone: '+79990000002' }, businessId: run.businessId }]);
    const forged = await http
      .post(`/connectors/acme-crm/${run.businessId}/hooks`)
      .set('content-type', 'application/json')
      .set('x-acme-signature', sig)
      .send(body.replace('0002', '0003'));
    expect(forged.status).toBe(401);
    expect(run.commands.calls).toHaveLength(1);
  });

  it('checks the connection with one authenticated call', async () => {
    nock(API, { reqheaders: { authorization: `Bearer ${KEY}` } })
      .get('/v1/me')
      .reply(200, { account: 'Acme Cafe' });
    const run = await runConnector(connector, { config });
    expect(await run.check()).toEqual({ ok: true, detail: 'Connected as Acme Cafe' });
    nock(API).get('/v1/me').reply(401);
    expect(await run.check()).toEqual({ ok: false, error: 'Acme refused the API key' });
  });
});
