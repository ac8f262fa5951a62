import { Writable } from 'node:stream';
import pino from 'pino';
import { ConsoleSmsProvider, SmsError, SmsRuProvider } from '../../src/modules/engagement/engagement.sms';
import { FakeSmsRu } from '../../../fixtures/src/sms/fake-smsru';

describe('SMS providers', () => {
  it('console: logs the text with the code at info, the phone masked, nothing else', async () => {
    const lines: any[] = [];
    const sink = new Writable({
      write(chunk, _enc, cb) {
        lines.push(JSON.parse(String(chunk)));
        cb();
      },
    });
    const provider = new ConsoleSmsProvider(pino({ level: 'info' }, sink));
    await provider.send({ to: '+79161234567', text: 'Код 123456 для регистрации в Coffee House' });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 30, sms: { to: '+79*****4567', text: 'Код 123456 для регистрации в Coffee House' } });
    expect(Object.keys(lines[0]).sort()).toEqual(['hostname', 'level', 'msg', 'pid', 'sms', 'time']);
    expect(JSON.stringify(lines[0])).not.toContain('79161234567');
  });

  describe('SMS.ru against its fake', () => {
    const fake = new FakeSmsRu({ apiId: 'GOOD-API-ID-0001' });
    beforeAll(() => fake.install());
    afterAll(() => fake.uninstall());

    it('sends form-encoded with json=1 and digits-only numbers; returns the sms_id', async () => {
      const p = new SmsRuProvider({ apiId: 'GOOD-API-ID-0001', baseUrl: 'https://sms.ru', from: 'Coffee', test: true });
      const r = await p.send({ to: '+79161234567', text: 'Код 654321', ip: '203.0.113.7' });
      expect(r.id).toMatch(/^000000-\d+$/);
      expect(fake.sent[fake.sent.length - 1]).toEqual({ to: '79161234567', msg: 'Код 654321', from: 'Coffee', test: true, ip: '203.0.113.7' });
    });

    it('reports a wrong api_id and a refused number as SmsError (the latter permanent)', async () => {
      const bad = new SmsRuProvider({ apiId: 'WRONG-API-ID-0000', baseUrl: 'https://sms.ru' });
      await expect(bad.send({ to: '+79161234567', text: 'x' })).rejects.toMatchObject({ name: 'SmsError', providerCode: 200, permanent: false });
      fake.refuse('79160000000', 207);
      const p = new SmsRuProvider({ apiId: 'GOOD-API-ID-0001', baseUrl: 'https://sms.ru' });
      const e = await p.send({ to: '+79160000000', text: 'x' }).catch((x) => x);
      expect(e).toBeInstanceOf(SmsError);
      expect(e).toMatchObject({ providerCode: 207, permanent: true });
      fake.down = true;
      await expect(p.send({ to: '+79161234567', text: 'x' })).rejects.toMatchObject({ permanent: false });
      fake.down = false;
    });
  });
});
