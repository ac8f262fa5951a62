import { createTestHub, describeEachDb, TestBusiness, TestHub } from '../harness';

const PUBLIC = 'https://hub.example.test';
const METRICS_TOKEN = 'metrics-token-0123456789abcdef';

/*
 * Issue 19: CSRF beyond SameSite (same-origin required on every cookie-authenticated state change,
 * bodyless ones included) and the HTTP side of safe production defaults (HSTS on https, no-store
 * on authenticated answers, /metrics behind a token).
 */
describeEachDb('HTTP edges: CSRF and safe headers', (backend) => {
  let t: TestHub;
  let b: TestBusiness;

  beforeAll(async () => {
    t = await createTestHub({ db: backend, env: { PUBLIC_URL: PUBLIC, METRICS_TOKEN } });
    b = await t.business('Edge Café');
  });
  afterAll(() => t.close());

  const newTerminal = async () =>
    (
      await t.http
        .post('/v1/admin/terminals')
        .set('Cookie', b.ownerCookie)
        .set('Origin', PUBLIC)
        .send({ name: `Till ${Math.random()}`, locationId: b.locationId, scopes: ['pos'] })
        .expect(201)
    ).body as { id: string; revokedAt: string | null };
  const terminal = async (id: string) =>
    ((await t.http.get('/v1/admin/terminals').set('Cookie', b.ownerCookie).expect(200)).body.items as { id: string; revokedAt: string | null }[]).find(
      (x) => x.id === id,
    )!;

  it('refuses a bodyless POST with the owner’s cookie from a foreign Origin (403 csrf_origin_mismatch), and nothing changes', async () => {
    const victim = await newTerminal();
    const res = await t.http.post(`/v1/admin/terminals/${victim.id}/revoke`).set('Cookie', b.ownerCookie).set('Origin', 'https://evil.example');
    expect(res.status).toBe(403);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(res.body.code).toBe('csrf_origin_mismatch');
    expect((await terminal(victim.id)).revokedAt).toBeNull();
  });

  it('refuses cross-site and same-site fetch metadata, a null Origin, and PUT/PATCH/DELETE alike', async () => {
    const victim = await newTerminal();
    const attempts = [
      t.http.post(`/v1/admin/terminals/${victim.id}/revoke`).set('Cookie', b.ownerCookie).set('Sec-Fetch-Site', 'cross-site'),
      t.http
        .post(`/v1/admin/terminals/${victim.id}/revoke`)
        .set('Cookie', b.ownerCookie)
        .set('Sec-Fetch-Site', 'same-site')
        .set('Origin', 'https://shop.example.test'),
      t.http.post(`/v1/admin/terminals/${victim.id}/revoke`).set('Cookie', b.ownerCookie).set('Origin', 'null'),
      t.http.patch('/v1/admin/business').set('Cookie', b.ownerCookie).set('Origin', 'http://hub.example.test').send({ name: 'Pwned' }),
      t.http.delete('/v1/admin/session').set('Cookie', b.ownerCookie).set('Origin', 'https://evil.example'),
    ];
    for (const a of attempts) {
      const res = await a;
      expect([res.status, res.body.code]).toEqual([403, 'csrf_origin_mismatch']);
    }
    expect((await terminal(victim.id)).revokedAt).toBeNull();
    expect((await t.http.get('/v1/admin/session').set('Cookie', b.ownerCookie)).status).toBe(200);
  });

  it('lets the console and the web scanner through: same-origin fetch metadata, the public origin, the addressed origin', async () => {
    const a = await newTerminal();
    await t.http.post(`/v1/admin/terminals/${a.id}/revoke`).set('Cookie', b.ownerCookie).set('Sec-Fetch-Site', 'same-origin').set('Origin', PUBLIC).expect(200);
    const c = await newTerminal();
    // Reached on its own address (e.g. http://127.0.0.1:8080 on the box itself): Origin equals scheme + Host.
    await t.http
      .post(`/v1/admin/terminals/${c.id}/revoke`)
      .set('Cookie', b.ownerCookie)
      .set('Host', '127.0.0.1:8080')
      .set('Origin', 'http://127.0.0.1:8080')
      .expect(200);
    // A non-browser client sends neither Origin nor Sec-Fetch-Site (browsers always send one on a cross-site write).
    const d = await newTerminal();
    await t.http.post(`/v1/admin/terminals/${d.id}/revoke`).set('Cookie', b.ownerCookie).expect(200);
    // Reads are not state changes.
    await t.http.get('/v1/admin/terminals').set('Cookie', b.ownerCookie).set('Origin', 'https://evil.example').expect(200);
  });

  it('leaves terminal-key (Bearer) requests alone whatever their Origin', async () => {
    const res = await t.http
      .post('/v1/pos/checkouts/quote')
      .set('Authorization', `Bearer ${b.terminalKey}`)
      .set('Origin', 'https://evil.example')
      .set('Sec-Fetch-Site', 'cross-site')
      .send({ card: { phone: '+79990000001' }, basket: { items: [{ sku: 'A', qty: 1, unitPriceMinor: 100, amountMinor: 100 }] } });
    expect(res.body.code).not.toBe('csrf_origin_mismatch');
    expect(res.status).not.toBe(403);
  });

  it('sends HSTS when PUBLIC_URL is https, and no-store on every authenticated API answer', async () => {
    const health = await t.http.get('/healthz').expect(200);
    expect(health.headers['strict-transport-security']).toBe('max-age=31536000; includeSubDomains');
    const me = await t.http.get('/v1/admin/session').set('Cookie', b.ownerCookie).expect(200);
    expect(me.headers['cache-control']).toBe('no-store');
    const denied = await t.http.get('/v1/admin/terminals');
    expect([denied.status, denied.headers['cache-control']]).toEqual([401, 'no-store']);
    const pos = await t.http.get('/v1/pos/terminal').set('Authorization', `Bearer ${b.terminalKey}`).expect(200);
    expect(pos.headers['cache-control']).toBe('no-store');
  });

  it('serves /metrics only with its bearer token', async () => {
    const open = await t.http.get('/metrics');
    expect([open.status, open.body.code]).toEqual([401, 'unauthorized']);
    expect((await t.http.get('/metrics').set('Authorization', 'Bearer wrong-token-0123456789abcdef')).status).toBe(401);
    const ok = await t.http.get('/metrics').set('Authorization', `Bearer ${METRICS_TOKEN}`).expect(200);
    expect(ok.text).toContain('http_request_duration_seconds');
  });
});

describeEachDb('HTTP edges: metrics on a separate listener, no HSTS on http', (backend) => {
  let t: TestHub;
  beforeAll(async () => {
    t = await createTestHub({ db: backend, env: { PUBLIC_URL: 'http://localhost:8080', METRICS_PORT: '9464' } });
  });
  afterAll(() => t.close());

  it('does not serve /metrics on the public listener and sends no HSTS over http', async () => {
    const res = await t.http.get('/metrics');
    expect(res.status).toBe(404);
    expect(res.headers['strict-transport-security']).toBeUndefined();
  });
});
