import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { AuditEntry } from '../../src/modules/audit/audit.entity';
import { describeEachDb, type TestBusiness } from '../harness';
import { integrationHub, waitFor, type IntegrationHub } from './kit';

interface Rx {
  url: string;
  got: { headers: http.IncomingHttpHeaders; body: string }[];
  close(): Promise<void>;
}
async function receiver(status: () => number = () => 200): Promise<Rx> {
  const got: Rx['got'] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      got.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(status()).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/loyalty`,
    got,
    close: () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))),
  };
}

describeEachDb('webhooks connector through the hub admin API', (backend) => {
  let t: IntegrationHub;
  let b: TestBusiness;
  let rx: Rx;
  let secret: string;
  let endpointId: string;
  const admin = (method: 'get' | 'post' | 'patch' | 'delete', path: string) => t.http[method](path).set('Cookie', b.ownerCookie);
  const base = '/v1/admin/integrations/webhooks';

  beforeAll(async () => {
    t = await integrationHub({ db: backend });
    b = await t.business();
    let n = 0;
    rx = await receiver(() => (++n === 1 ? 500 : 200));
  });
  afterAll(async () => {
    await rx.close();
    await t.close();
  });

  it('needs the connector installed before endpoints can be managed', async () => {
    expect((await admin('get', `${base}/endpoints`)).status).toBe(409);
    const res = await admin('post', '/v1/admin/integrations').send({ connectorId: 'webhooks' });
    expect(res.status).toBe(201);
    expect((await admin('get', `${base}/endpoints`)).body).toEqual({ items: [] });
  });

  it('creates an endpoint and shows its whsec_ secret once', async () => {
    const res = await admin('post', `${base}/endpoints`).send({ url: rx.url, description: 'ERP', eventTypes: ['guest.*'] });
    expect(res.status).toBe(201);
    expect(res.body.signingSecret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    secret = res.body.signingSecret;
    endpointId = res.body.id;
    const again = await admin('get', `${base}/endpoints/${endpointId}`);
    expect(again.body).toMatchObject({ url: rx.url, enabled: true, eventTypes: ['guest.*'], secret: { set: true } });
    expect(JSON.stringify(again.body)).not.toContain(secret.slice(6));
    const bad = await admin('post', `${base}/endpoints`).send({ url: rx.url, eventTypes: ['guest.nope'] });
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].field).toBe('eventTypes[0]');
  });

  it('delivers an event written by the hub, signed, retried after a failure, logged per attempt', async () => {
    const id = await t.event(b.businessId, 'guest.registered', { guestId: 'g-1', phone: '+79990000001', name: 'Ann', source: 'pos' });
    const res = await waitFor(async () => {
      const r = await admin('get', `${base}/endpoints/${endpointId}/deliveries`);
      return r.body.items[0]?.status === 'pending' && r.body.items[0]?.attempts === 1;
    }, 'the first (failed) attempt').then(() => admin('get', `${base}/endpoints/${endpointId}/deliveries`));
    const d = res.body.items[0];
    expect(d).toMatchObject({ messageId: id, eventType: 'guest.registered', lastStatusCode: 500, log: [{ attempt: 1, status: 'failed', responseCode: 500 }] });
    // The next attempt is due in ~5 s; replay sends it now.
    expect((await admin('post', `${base}/endpoints/${endpointId}/deliveries/${d.id}/replay`)).status).toBe(202);
    await waitFor(() => rx.got.length === 2, 'the replayed delivery');
    for (const g of rx.got)
      expect(new Webhook(secret).verify(g.body, g.headers as Record<string, string>)).toMatchObject({ type: 'guest.registered', data: { guestId: 'g-1' } });
    expect(new Set(rx.got.map((g) => g.headers['webhook-id']))).toEqual(new Set([id]));
    await waitFor(
      async () => (await admin('get', `${base}/endpoints/${endpointId}/deliveries`)).body.items[0].status === 'succeeded',
      'the success to be recorded',
    );
  });

  it('rotates the secret (shown once), updates and deletes the endpoint, with a history free of secrets', async () => {
    const rot = await admin('post', `${base}/endpoints/${endpointId}/rotate-secret`);
    expect(rot.status).toBe(200);
    expect(rot.body.signingSecret).not.toBe(secret);
    expect(rot.body.secret.previousValidUntil).not.toBeNull();
    const upd = await admin('patch', `${base}/endpoints/${endpointId}`).send({ enabled: false });
    expect(upd.body).toMatchObject({ enabled: false, disabledReason: 'manual' });
    expect((await admin('delete', `${base}/endpoints/${endpointId}`)).status).toBe(204);
    expect((await admin('get', `${base}/endpoints/${endpointId}`)).status).toBe(404);
    const audit = await t.hub.db.manager.getRepository(AuditEntry).findBy({ businessId: b.businessId });
    expect(audit.map((a) => a.action)).toEqual(
      expect.arrayContaining([
        'webhook_endpoint.created',
        'webhook_delivery.replayed',
        'webhook_endpoint.secret_rotated',
        'webhook_endpoint.updated',
        'webhook_endpoint.deleted',
      ]),
    );
    const all = JSON.stringify(audit) + t.logs.join('');
    for (const s of [secret, rot.body.signingSecret]) expect(all).not.toContain(s.slice(6));
  });

  it('documents its console routes in the OpenAPI document', async () => {
    const doc = (await t.http.get('/v1/openapi.json')).body;
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/v1/admin/integrations/webhooks/endpoints', '/v1/admin/integrations/webhooks/endpoints/{id}/deliveries']),
    );
  });
});

describe('webhooks SSRF guard through the admin API [sqlite]', () => {
  it('refuses private, loopback and metadata URLs when WEBHOOKS_ALLOW_PRIVATE is off', async () => {
    const t = await integrationHub({ env: { WEBHOOKS_ALLOW_PRIVATE: 'false' } });
    try {
      const b = await t.business();
      await t.http.post('/v1/admin/integrations').set('Cookie', b.ownerCookie).send({ connectorId: 'webhooks' });
      for (const url of ['http://10.0.0.1/hook', 'http://127.0.0.1:9/hook', 'http://169.254.169.254/latest/meta-data/']) {
        const res = await t.http.post('/v1/admin/integrations/webhooks/endpoints').set('Cookie', b.ownerCookie).send({ url });
        expect([url, res.status, res.body.code]).toEqual([url, 422, 'url_not_allowed']);
      }
    } finally {
      await t.close();
    }
  });
});
