import { createTestHub, describeEachDb, TestBusiness, TestHub } from './harness';
import { AuditEntry } from '../src/modules/audit/audit.entity';

describeEachDb('foundation', (backend) => {
  let t: TestHub;
  let a: TestBusiness;
  let b: TestBusiness;

  beforeAll(async () => {
    t = await createTestHub({ db: backend });
    a = await t.business('Alpha Café');
    b = await t.business('Beta Salon');
  });
  afterAll(() => t.close());

  it('serves /healthz with database and bus status', async () => {
    const res = await t.http.get('/healthz').expect(200);
    expect(res.body).toMatchObject({ status: 'ok', database: { ok: true, kind: backend === 'sqlite' ? 'sqlite' : 'mysql' }, bus: { ok: true } });
  });

  it('serves Prometheus metrics', async () => {
    await t.http.get('/healthz');
    const res = await t.http.get('/metrics').expect(200);
    expect(res.text).toContain('http_request_duration_seconds');
    expect(res.text).toContain('process_cpu_seconds_total');
  });

  it('publishes an OpenAPI 3.1 document built from the zod schemas, and a docs page', async () => {
    const res = await t.http.get('/v1/openapi.json').expect(200);
    expect(res.body.openapi).toBe('3.1.0');
    const op = res.body.paths['/v1/admin/locations'].post;
    expect(op.requestBody.content['application/json'].schema.properties.name).toMatchObject({ type: 'string', minLength: 1 });
    expect(res.body.paths['/v1/admin/locations/{id}'].get.parameters[0]).toMatchObject({ name: 'id', in: 'path', required: true });
    const docs = await t.http.get('/v1/docs').expect(200);
    expect(docs.text).toContain('swagger-ui');
    await t.http.get('/v1/docs/assets/swagger-ui-bundle.js').expect(200);
  });

  it('answers unknown routes with a 404 problem', async () => {
    const res = await t.http.get('/v1/does-not-exist').expect(404);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(res.body).toMatchObject({ status: 404, code: 'route_not_found', title: 'Not Found' });
  });

  it('answers malformed JSON with a 400 problem naming the body, never a stack', async () => {
    const res = await t.http.post('/v1/admin/session').set('content-type', 'application/json').send('{"email": ').expect(400);
    expect(res.body).toMatchObject({ code: 'malformed_json', errors: [{ field: 'body' }] });
    expect(JSON.stringify(res.body)).not.toMatch(/at .*\.ts:\d+/);
  });

  it('names every invalid and unknown field', async () => {
    const res = await t.http.post('/v1/admin/locations').set('Cookie', a.ownerCookie).send({ name: 5, latitude: 200, color: 'red' }).expect(400);
    const fields = res.body.errors.map((e: { field: string }) => e.field).sort();
    expect(fields).toEqual(['color', 'latitude', 'name']);
    expect(res.body.errors.find((e: { field: string }) => e.field === 'color').message).toBe('Unknown field');
  });

  it('refuses a non-JSON body with 415', async () => {
    await t.http.post('/v1/admin/locations').set('Cookie', a.ownerCookie).set('content-type', 'text/plain').send('name=x').expect(415);
  });

  it('logs staff in with an httpOnly, SameSite session cookie and out again', async () => {
    const res = await t.http.post('/v1/admin/session').send({ email: a.ownerEmail.toUpperCase(), password: a.ownerPassword }).expect(200);
    const cookie = (res.headers['set-cookie'] as unknown as string[])[0]!;
    expect(cookie).toMatch(/^lh_session=/);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    expect(res.body.staff).toMatchObject({ email: a.ownerEmail, role: 'owner' });
    expect(JSON.stringify(res.body)).not.toMatch(/passwordHash|scrypt/);
    const c = cookie.split(';')[0]!;
    await t.http.get('/v1/admin/session').set('Cookie', c).expect(200);
    await t.http.delete('/v1/admin/session').set('Cookie', c).expect(204);
    await t.http.get('/v1/admin/session').set('Cookie', c).expect(401);
  });

  it('refuses a wrong password with the same answer as an unknown e-mail', async () => {
    const r1 = await t.http.post('/v1/admin/session').send({ email: a.ownerEmail, password: 'wrong-password' }).expect(401);
    const r2 = await t.http.post('/v1/admin/session').send({ email: 'nobody@example.com', password: 'wrong-password' }).expect(401);
    expect(r1.body.detail).toBe(r2.body.detail);
    await t.http.get('/v1/admin/business').set('Cookie', 'lh_session=forged-token-aaaaaaaaaaaaaaaaaaaaa').expect(401);
  });

  it('enforces roles: a cashier cannot manage terminals or staff (403)', async () => {
    await t.http
      .post('/v1/admin/staff')
      .set('Cookie', a.ownerCookie)
      .send({ email: 'cashier.a@example.com', name: 'Cash', role: 'cashier', password: 'cashier-pass-1' })
      .expect(201);
    const cashier = await t.login('cashier.a@example.com', 'cashier-pass-1');
    const res = await t.http.post('/v1/admin/terminals').set('Cookie', cashier).send({ name: 'x' }).expect(403);
    expect(res.body.code).toBe('forbidden');
    await t.http.get('/v1/admin/staff').set('Cookie', cashier).expect(403);
    await t.http.get('/v1/admin/business').set('Cookie', cashier).expect(200);
  });

  it('an admin cannot make someone an owner; the last owner cannot be demoted', async () => {
    await t.http
      .post('/v1/admin/staff')
      .set('Cookie', a.ownerCookie)
      .send({ email: 'admin.a@example.com', name: 'Adm', role: 'admin', password: 'admin-pass-12' })
      .expect(201);
    const admin = await t.login('admin.a@example.com', 'admin-pass-12');
    await t.http
      .post('/v1/admin/staff')
      .set('Cookie', admin)
      .send({ email: 'own2@example.com', name: 'O', role: 'owner', password: 'owner-pass-12' })
      .expect(403);
    const staff = await t.http.get('/v1/admin/staff').set('Cookie', a.ownerCookie).expect(200);
    const owner = staff.body.items.find((s: { role: string }) => s.role === 'owner');
    const res = await t.http.patch(`/v1/admin/staff/${owner.id}`).set('Cookie', a.ownerCookie).send({ role: 'admin' }).expect(409);
    expect(res.body.code).toBe('last_owner');
  });

  it('shows a terminal key once, stores only its hash, and a revoked key gets 401', async () => {
    const created = await t.http.post('/v1/admin/terminals').set('Cookie', a.ownerCookie).send({ name: 'Bar till', locationId: a.locationId }).expect(201);
    const key: string = created.body.key;
    expect(key.startsWith(created.body.keyPrefix + '_')).toBe(true);
    const listed = await t.http.get('/v1/admin/terminals').set('Cookie', a.ownerCookie).expect(200);
    expect(JSON.stringify(listed.body)).not.toContain(key);
    const who = await t.http.get('/v1/pos/terminal').set('Authorization', `Bearer ${key}`).expect(200);
    expect(who.body).toMatchObject({ businessId: a.businessId, businessName: 'Alpha Café', currency: 'RUB', locationId: a.locationId });
    await t.http.get('/v1/pos/terminal').set('X-Api-Key', key).expect(200);
    await t.http.post(`/v1/admin/terminals/${created.body.id}/revoke`).set('Cookie', a.ownerCookie).expect(200);
    const r = await t.http.get('/v1/pos/terminal').set('Authorization', `Bearer ${key}`).expect(401);
    expect(r.body.code).toBe('invalid_api_key');
    await t.http
      .get('/v1/pos/terminal')
      .set('Authorization', `Bearer ${key.slice(0, -2)}xx`)
      .expect(401);
    await t.http.get('/v1/pos/terminal').expect(401);
  });

  it('writes the audit entry in the same transaction as the change', async () => {
    const loc = await t.http.post('/v1/admin/locations').set('Cookie', a.ownerCookie).send({ name: 'Second', latitude: 55.75, longitude: 37.61 }).expect(201);
    await t.http.patch(`/v1/admin/locations/${loc.body.id}`).set('Cookie', a.ownerCookie).send({ name: 'Second (renamed)' }).expect(200);
    const hist = await t.http.get('/v1/admin/audit').query({ targetId: loc.body.id }).set('Cookie', a.ownerCookie).expect(200);
    expect(hist.body.items.map((i: { action: string }) => i.action)).toEqual(['location.updated', 'location.created']);
    expect(hist.body.items[0]).toMatchObject({ actorType: 'staff', actorLabel: a.ownerEmail, before: { name: 'Second' }, after: { name: 'Second (renamed)' } });

    // A failing change leaves neither the change nor its audit row behind.
    const before = await t.hub.db.manager.getRepository(AuditEntry).count();
    await expect(
      t.hub.db.transaction(async (tx) => {
        await t.hub.services.audit.record({ businessId: a.businessId, actor: { type: 'system', id: 'system' } }, tx, { action: 'x.test', targetType: 'x' });
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await t.hub.db.manager.getRepository(AuditEntry).count()).toBe(before);
  });

  it('never lets business A read or change anything of business B', async () => {
    // Every admin route with an :id, called by A with B's ids, must answer 404 (not found in A's world).
    const locB = (await t.http.get('/v1/admin/locations').set('Cookie', b.ownerCookie)).body.items[0].id;
    const staffB = (await t.http.get('/v1/admin/staff').set('Cookie', b.ownerCookie)).body.items[0].id;
    await t.http.get(`/v1/admin/locations/${locB}`).set('Cookie', a.ownerCookie).expect(404);
    await t.http.patch(`/v1/admin/locations/${locB}`).set('Cookie', a.ownerCookie).send({ name: 'hijack' }).expect(404);
    await t.http.patch(`/v1/admin/staff/${staffB}`).set('Cookie', a.ownerCookie).send({ name: 'hijack' }).expect(404);
    await t.http.post(`/v1/admin/terminals/${b.terminalId}/revoke`).set('Cookie', a.ownerCookie).expect(404);
    await t.http.post('/v1/admin/terminals').set('Cookie', a.ownerCookie).send({ name: 'x', locationId: locB }).expect(404);
    // Lists only show A's rows; B's key reads B only.
    const locsA = await t.http.get('/v1/admin/locations').set('Cookie', a.ownerCookie);
    expect(locsA.body.items.map((l: { id: string }) => l.id)).not.toContain(locB);
    const auditA = await t.http.get('/v1/admin/audit').query({ limit: 500 }).set('Cookie', a.ownerCookie);
    expect(JSON.stringify(auditA.body)).not.toContain(b.businessId);
    const who = await t.http.get('/v1/pos/terminal').set('Authorization', `Bearer ${b.terminalKey}`).expect(200);
    expect(who.body.businessId).toBe(b.businessId);
    // B's location is unchanged.
    const still = await t.http.get(`/v1/admin/locations/${locB}`).set('Cookie', b.ownerCookie).expect(200);
    expect(still.body.name).toBe('Main');
  });

  it('changes business settings (fraud limits) with validation', async () => {
    const res = await t.http
      .patch('/v1/admin/business')
      .set('Cookie', a.ownerCookie)
      .send({ settings: { fraudLimits: { opsPerCardPerHour: 5 } } })
      .expect(200);
    expect(res.body.settings.fraudLimits.opsPerCardPerHour).toBe(5);
    expect(res.body.settings.fraudLimits.redemptionsPerCardPerDay).toBe(10);
    const bad = await t.http
      .patch('/v1/admin/business')
      .set('Cookie', a.ownerCookie)
      .send({ timezone: 'Mars/Olympus', settings: { fraudLimits: { opsPerCardPerHour: -1 } } })
      .expect(400);
    expect(bad.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['settings.fraudLimits.opsPerCardPerHour', 'timezone']);
  });
});
