import pino from 'pino';
import { FakeClock } from '../../src/jobs/clock';
import { Scheduler } from '../../src/jobs/scheduler';
import { registerCheckoutJobs } from '../../src/modules/checkout/checkout.jobs';
import { systemActor } from '../../src/shared/context';
import { createTestHub, describeEachDb, type TestHub } from '../harness';
import { loyalty } from '../loyalty/fixtures';

const DAY = 24 * 3_600_000;

describeEachDb('nightly level review', (backend) => {
  let t: TestHub;
  beforeAll(async () => {
    t = await createTestHub({ db: backend });
  });
  afterAll(async () => {
    await t.close();
  });

  /** A business in `timezone` with a rolling-window program and a card that reached gold today. */
  const goldCard = async (timezone: string) => {
    const b = await t.business();
    await t.hub.services.tenants.updateBusiness({ businessId: b.businessId, actor: systemActor('test') }, { timezone });
    const l = loyalty(t, b);
    const p = await l.program({
      name: 'Rolling',
      rules: { kind: 'bonus', accrualPercent: 1 },
      levels: [
        { code: 'base', name: 'Base', threshold: 0 },
        { code: 'gold', name: 'Gold', threshold: 50000, accrualPercent: 10 },
      ],
      levelPolicy: { metric: 'spend', window: { days: 30 }, downgrade: 'periodic' },
    });
    const { card } = await l.guestWithCard(p.id);
    const sale = await l.commit({ card: { number: card.number }, basket: l.basket(60000) });
    expect(sale.body.balanceAfter.levelCode).toBe('gold');
    return { level: async () => (await l.card(card.id)).levelCode as string };
  };

  it('downgrades each business’s cards at 04:00 in its own time zone, once the window has emptied', async () => {
    const moscow = await goldCard('Europe/Moscow');
    const vladivostok = await goldCard('Asia/Vladivostok');
    // 31 days on, at 00:00 UTC: 03:00 in Moscow, 10:00 in Vladivostok (its 04:00 was six hours ago).
    const day = new Date(Math.ceil((Date.now() + 31 * DAY) / DAY) * DAY);
    const clock = new FakeClock(day);
    const s = new Scheduler({ db: t.hub.db, log: pino({ level: 'silent' }), clock, businesses: () => t.hub.services.tenants.businessZones() });
    registerCheckoutJobs(s, t.hub.services.checkout);
    const until = async (hoursUtc: number) => {
      while (clock.now().getTime() < day.getTime() + hoursUtc * 3_600_000) {
        await clock.advance(5 * 60_000);
        await s.tick();
      }
    };
    await until(0.9);
    expect([await moscow.level(), await vladivostok.level()]).toEqual(['gold', 'gold']);
    await until(1.1); // 04:05 in Moscow
    expect([await moscow.level(), await vladivostok.level()]).toEqual(['base', 'gold']);
    await until(18.1); // 04:05 in Vladivostok
    expect([await moscow.level(), await vladivostok.level()]).toEqual(['base', 'base']);
  });
});
