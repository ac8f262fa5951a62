import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { Db } from '../../src/db/db';
import { FakeClock } from '../../src/jobs/clock';
import { Scheduler } from '../../src/jobs/scheduler';
import { systemActor } from '../../src/shared/context';
import { createTestHub, describeEachDb, type DbBackend, type TestHub } from '../harness';

const silent = pino({ level: 'silent' });
const MINUTE = 60_000;

/**
 * A test hub (its tenants create the businesses) plus, on MariaDB, a second handle on its database,
 * as two hub instances share one. SQLite is the embedded single-process mode: one handle.
 */
async function sharedDb(backend: DbBackend): Promise<{ t: TestHub; a: Db; b: Db; close: () => Promise<void> }> {
  const t = await createTestHub({ db: backend });
  const url = (t.hub.db.ds.options as { url?: string }).url;
  const b = backend === 'mariadb' ? await Db.open({ url, poolSize: 5 }, false) : t.hub.db;
  return {
    t,
    a: t.hub.db,
    b,
    close: async () => {
      if (b !== t.hub.db) await b.close();
      await t.close();
    },
  };
}

/** A promise the test resolves by hand (a job that runs as long as the test wants). */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((r) => (open = r));
  return { promise, open };
}

describeEachDb('scheduler', (backend) => {
  let dbs: Awaited<ReturnType<typeof sharedDb>>;
  let tenants: TestHub['hub']['services']['tenants'];
  const business = async (timezone: string) => {
    const { business: b } = await tenants.createBusiness({
      name: `Zone ${timezone}`,
      currency: 'RUB',
      timezone,
      locale: 'ru',
      owner: { email: `o.${randomBytes(4).toString('hex')}@example.com`, name: 'Owner', password: 'owner-password-1' },
    });
    return b.id;
  };
  beforeAll(async () => {
    dbs = await sharedDb(backend);
    tenants = dbs.t.hub.services.tenants;
  });
  afterAll(async () => {
    await dbs.close();
  });

  it('runs a per-business daily job at 09:00 in each business’s own time zone as a fake day passes', async () => {
    const moscow = await business('Europe/Moscow');
    const vladivostok = await business('Asia/Vladivostok');
    // 04:00 UTC: 07:00 in Moscow (09:00 is ahead), 14:00 in Vladivostok (09:00 has passed).
    const clock = new FakeClock('2030-03-04T04:00:00.000Z');
    const fired: { businessId: string; slot: string; now: string }[] = [];
    const s = new Scheduler({ db: dbs.a, log: silent, clock, holder: 'hub-a', businesses: () => tenants.businessZones() });
    s.register({
      name: 'morning-digest',
      cron: '0 9 * * *',
      perBusiness: true,
      run: async (r) => void fired.push({ businessId: r.businessId, slot: r.slot.toISOString(), now: r.now.toISOString() }),
    });
    await s.tick();
    for (let i = 0; i < 24 * 12; i++) {
      await clock.advance(5 * MINUTE);
      await s.tick();
    }
    const ours = fired.filter((f) => f.businessId === moscow || f.businessId === vladivostok);
    expect(ours).toEqual([
      { businessId: moscow, slot: '2030-03-04T06:00:00.000Z', now: '2030-03-04T06:00:00.000Z' },
      { businessId: vladivostok, slot: '2030-03-04T23:00:00.000Z', now: '2030-03-04T23:00:00.000Z' },
    ]);
    await s.stop();
  });

  it('follows a business that changes its time zone', async () => {
    const mover = await business('Europe/Moscow');
    const clock = new FakeClock('2030-08-01T04:00:00.000Z');
    const fired: string[] = [];
    const s = new Scheduler({ db: dbs.a, log: silent, clock, holder: 'hub-a', businesses: () => tenants.businessZones() });
    s.register({
      name: 'zone-digest',
      cron: '0 9 * * *',
      perBusiness: true,
      run: async (r) => void (r.businessId === mover && fired.push(r.slot.toISOString())),
    });
    const until = async (iso: string) => {
      while (clock.now().toISOString() < iso) {
        await clock.advance(5 * MINUTE);
        await s.tick();
      }
    };
    await until('2030-08-01T07:00:00.000Z');
    expect(fired).toEqual(['2030-08-01T06:00:00.000Z']); // 09:00 in Moscow
    await tenants.updateBusiness({ businessId: mover, actor: systemActor('test') }, { timezone: 'Asia/Vladivostok' });
    await until('2030-08-02T07:00:00.000Z');
    // The next 09:00 is Vladivostok's (23:00 UTC), not Moscow's of the next day.
    expect(fired).toEqual(['2030-08-01T06:00:00.000Z', '2030-08-01T23:00:00.000Z']);
  });

  it('runs a slot missed by less than the catch-up window once, late; an older one not at all', async () => {
    const fired: string[] = [];
    const clock = new FakeClock('2030-05-01T06:30:00.000Z'); // 09:30 in Moscow: 09:00 was missed by half an hour
    const s = new Scheduler({ db: dbs.a, log: silent, clock, holder: 'hub-a' });
    s.register({ name: 'late-report', cron: '0 9 * * *', timezone: 'Europe/Moscow', run: async (r) => void fired.push(r.slot.toISOString()) });
    await s.tick();
    await s.tick();
    expect(fired).toEqual(['2030-05-01T06:00:00.000Z']);

    const late: string[] = [];
    const clock2 = new FakeClock('2030-05-01T08:00:00.000Z'); // 11:00 in Moscow: two hours late, skipped
    const s2 = new Scheduler({ db: dbs.a, log: silent, clock: clock2, holder: 'hub-a' });
    s2.register({ name: 'later-report', cron: '0 9 * * *', timezone: 'Europe/Moscow', run: async (r) => void late.push(r.slot.toISOString()) });
    await s2.tick();
    await clock2.advance(22 * 60 * MINUTE);
    await s2.tick();
    expect(late).toEqual(['2030-05-02T06:00:00.000Z']);
  });

  it('keeps the lease of a job that runs longer than its interval: another instance does not start it again', async () => {
    const clock = new FakeClock('2030-06-01T00:00:00.000Z');
    const a = new Scheduler({ db: dbs.a, log: silent, clock, holder: 'hub-a' });
    const b = new Scheduler({ db: dbs.b, log: silent, clock, holder: 'hub-b' });
    const slow = gate();
    const started = gate();
    const starts: string[] = [];
    for (const [s, who] of [
      [a, 'hub-a'],
      [b, 'hub-b'],
    ] as const) {
      s.register({
        name: 'slow-sweep',
        everyMs: 10_000,
        run: async () => {
          starts.push(who);
          started.open();
          await slow.promise;
        },
      });
    }
    await clock.advance(10_000);
    const running = a.tick(); // hub-a takes the lease for 10 s and starts
    await started.promise; // no clock time passes while the lease is taken and the run starts
    expect(starts).toEqual(['hub-a']);
    await clock.advance(25_000); // the run outlasts its interval 2.5 times; hub-a's heartbeats renew the lease
    await b.tick();
    await a.tick();
    expect(starts).toEqual(['hub-a']);
    const [row] = await dbs.a.ds.query("SELECT holder, expiresAt FROM job_leases WHERE name = 'job:slow-sweep'");
    expect(row.holder).toBe('hub-a');
    slow.open();
    await running;
    // Once the run is over and its lease has lapsed, the job runs again (once).
    await clock.advance(30_000);
    await Promise.all([b.tick(), a.tick()]);
    expect(starts).toHaveLength(2);
  });

  it('runs a job once when two instances look at the same moment', async () => {
    const sydney = await business('Australia/Sydney');
    const clock = new FakeClock('2030-07-01T00:00:00.000Z');
    const runs: string[] = [];
    const make = (db: Db, holder: string) =>
      new Scheduler({ db, log: silent, clock, holder, businesses: () => tenants.businessZones() })
        .register({ name: 'tidy-up', everyMs: 5 * MINUTE, run: async () => void runs.push(`tidy-up by ${holder}`) })
        .register({
          name: 'evening-push',
          cron: '0 18 * * *',
          perBusiness: true,
          run: async (r) => void (r.businessId === sydney && runs.push(`evening-push by ${holder}`)),
        });
    const a = make(dbs.a, 'hub-a');
    const b = make(dbs.b, 'hub-b');
    for (let i = 0; i < 24 * 12; i++) {
      await clock.advance(5 * MINUTE);
      await Promise.all([a.tick(), b.tick()]);
    }
    // 288 five-minute periods, each run by exactly one of the two; 18:00 in Sydney once.
    expect(runs.filter((r) => r.startsWith('tidy-up'))).toHaveLength(24 * 12);
    expect(runs.filter((r) => r.startsWith('evening-push'))).toHaveLength(1);
  });

  it('gets its jobs from the modules that own them when the hub is composed', () => {
    expect([...dbs.t.hub.scheduler.names].sort()).toEqual(
      expect.arrayContaining([
        'connector-dedupe-purge',
        'connector-kv-purge',
        'guest-imports',
        'hold-expiry',
        'level-review',
        'outbox-retention',
        'points-expiry',
        'session-purge',
        'sms-code-retention',
      ]),
    );
  });

  it('refuses a bad job at registration, not at 3 a.m.', () => {
    const s = new Scheduler({ db: dbs.a, log: silent });
    expect(() => s.register({ name: 'bad-cron', cron: '61 25 * * *', run: async () => undefined })).toThrow();
    expect(() => s.register({ name: 'Bad Name', everyMs: 1000, run: async () => undefined })).toThrow(/Job name/);
    expect(() => s.register({ name: 'zoned', cron: '0 9 * * *', timezone: 'Mars/Olympus', run: async () => undefined })).toThrow();
    expect(() => s.register({ name: 'per-biz', cron: '0 9 * * *', perBusiness: true, run: async () => undefined })).toThrow(/businesses/);
    s.register({ name: 'twice', everyMs: 1000, run: async () => undefined });
    expect(() => s.register({ name: 'twice', everyMs: 1000, run: async () => undefined })).toThrow(/twice/);
  });
});
