import { Writable } from 'node:stream';
import pino from 'pino';
import { ConsoleSmsProvider } from '../../src/modules/engagement/engagement.sms';
import { createTestHub, describeEachDb, TestHub } from '../harness';

/** The embedded default (no SMS provider) tells the owner the truth; codes show to them in development only. */
describeEachDb('SMS without a provider', (backend) => {
  let t: TestHub;
  beforeAll(async () => {
    t = await createTestHub({ db: backend });
  });
  afterAll(() => t?.close());

  it('warns in the console that no guest can finish an SMS registration, and shows the codes to the owner in development', async () => {
    expect(t.hub.services.engagement.d.sms.name).toBe('console');
    const b = await t.business('Кофейня');
    const program = await t.http
      .post('/v1/admin/programs')
      .set('Cookie', b.ownerCookie)
      .send({ name: 'Клуб', rules: { kind: 'bonus', accrualPercent: 5 } })
      .expect(201);
    const before = await t.http.get('/v1/admin/engagement/notices').set('Cookie', b.ownerCookie).expect(200);
    expect(before.body.map((n: { code: string }) => n.code)).not.toContain('sms_provider_missing');
    await t.http
      .post('/v1/admin/engagement/forms')
      .set('Cookie', b.ownerCookie)
      .send({ programId: program.body.id, slug: `truth-${backend}`, title: 'Клуб' })
      .expect(201);
    await t.http.post(`/v1/public/forms/truth-${backend}/sms-codes`).send({ phone: '+79161112233' }).expect(201);
    const notices = (await t.http.get('/v1/admin/engagement/notices').set('Cookie', b.ownerCookie).expect(200)).body as {
      code: string;
      severity: string;
      detail: string;
    }[];
    expect(notices.find((n) => n.code === 'sms_provider_missing')).toMatchObject({ severity: 'error' });
    const outbox = notices.find((n) => n.code === 'sms_dev_outbox')!;
    expect(outbox.detail).toMatch(/\+79\*+2233: Код \d{6} для регистрации в Кофейня/);
    expect(outbox.detail).not.toContain('+79161112233');
  });

  it('keeps no code anywhere in production: neither the log nor the outbox', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, cb) {
        lines.push(String(chunk));
        cb();
      },
    });
    const prod = new ConsoleSmsProvider(pino({ level: 'info' }, sink), false);
    await prod.send({ to: '+79161112233', text: 'Код 123456 для регистрации' });
    expect(prod.outbox).toEqual([]);
    expect(lines.join('')).not.toContain('123456');
    expect(lines.join('')).toContain('no SMS provider is configured');
  });
});
