/**
 * Setup in the owner's words (issue 18): the console's session probe answers an anonymous visitor
 * without an error, and a terminal shows when it was last used after its POS calls.
 */
import { createTestHub, describeEachDb, TestBusiness, TestHub } from '../harness';
import { loyalty } from '../loyalty/fixtures';
import { Terminal } from '../../src/modules/tenants/tenants.entity';

describeEachDb('console setup', (backend) => {
  let t: TestHub;
  let b: TestBusiness;
  beforeAll(async () => {
    t = await createTestHub({ db: backend });
    b = await t.business('Setup');
  });
  afterAll(() => t.close());

  it('the session probe answers 200 signedIn:false to a visitor and the member to a signed-in owner', async () => {
    expect((await t.http.get('/v1/admin/session/probe').expect(200)).body).toEqual({ signedIn: false });
    expect((await t.http.get('/v1/admin/session/probe').set('Cookie', '__Host-lh_session=not-a-real-session-token-000').expect(200)).body).toEqual({
      signedIn: false,
    });
    const me = await t.http.get('/v1/admin/session/probe').set('Cookie', b.ownerCookie).expect(200);
    expect(me.body).toMatchObject({ signedIn: true, staff: { email: b.ownerEmail, role: 'owner' }, business: { id: b.businessId } });
    // The strict endpoint keeps its 401 for scripts that check a cookie.
    await t.http.get('/v1/admin/session').expect(401);
  });

  it("a terminal's last use shows after POS calls, and moves on with later calls", async () => {
    const l = loyalty(t, b);
    const lastUsed = async () =>
      ((await l.admin('get', '/v1/admin/terminals').expect(200)).body.items as { id: string; lastUsedAt: string | null }[]).find((x) => x.id === b.terminalId)!
        .lastUsedAt;
    expect(await lastUsed()).toBeNull();
    const p = await l.program({ name: 'Setup bonus', rules: { kind: 'bonus', accrualPercent: 5 } });
    const { card } = await l.guestWithCard(p.id);
    for (let i = 0; i < 5; i++) await l.commit({ card: { number: card.number }, basket: l.basket(1000) }).expect(201);
    const first = await lastUsed();
    expect(first).not.toBeNull();
    // An hour later (the stored time moved back), the next call records the new use.
    const hourAgo = new Date(Date.now() - 3_600_000);
    await t.hub.db.manager.getRepository(Terminal).update({ id: b.terminalId }, { lastUsedAt: hourAgo });
    const tenants = t.hub.services.tenants;
    const realClock = tenants.clock;
    tenants.clock = () => realClock() + 2 * 60_000;
    await l.commit({ card: { number: card.number }, basket: l.basket(1000) }).expect(201);
    tenants.clock = realClock;
    expect(new Date((await lastUsed())!).getTime()).toBeGreaterThan(hourAgo.getTime() + 60_000);
  });
});
