import { Writable } from 'node:stream';
import pino from 'pino';
import { DEVICE_LOGS_PER_MINUTE } from '../../src/modules/wallet/wallet.routes';
import { createTestHub, describeEachDb, TestHub } from '../harness';

const LOG = '/v1/wallet/apple/v1/log';

/* Issue 19: Apple's unauthenticated device-log route is size-capped, rate-limited per IP and logged at debug. */
describeEachDb('Apple device-log route', (backend) => {
  let t: TestHub;
  const lines: { level: number; msg?: string; component?: string }[] = [];

  beforeAll(async () => {
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        for (const l of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(l));
        cb();
      },
    });
    t = await createTestHub({ db: backend, log: pino({ level: 'debug' }, sink) });
  });
  afterAll(() => t.close());

  it('caps the body: more than 16 KB is 413, more than 20 messages or 1,000 characters per message is 400', async () => {
    const big = await t.http.post(LOG).send({ logs: Array.from({ length: 15 }, () => 'x'.repeat(1300)) });
    expect([big.status, big.body.code]).toEqual([413, 'body_too_large']);
    const many = await t.http.post(LOG).send({ logs: Array.from({ length: 21 }, (_, i) => `line ${i}`) });
    expect(many.status).toBe(400);
    expect(many.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field: 'logs' })]));
    const long = await t.http.post(LOG).send({ logs: ['y'.repeat(1001)] });
    expect(long.status).toBe(400);
  });

  it('logs device lines at debug, not info', async () => {
    await t.http
      .post(LOG)
      .send({ logs: ['device-line-0c1f: Web service error'] })
      .expect(200);
    const mine = lines.filter((l) => l.msg?.includes('device-line-0c1f'));
    expect(mine).toEqual([expect.objectContaining({ level: 20, component: 'apple-wallet-device' })]);
  });

  it(`accepts ${DEVICE_LOGS_PER_MINUTE} requests a minute from one address, then 429 with Retry-After`, async () => {
    let accepted = 1; // the previous test's request counts in the same minute
    let refused: { status: number; headers: Record<string, string>; body: { code: string } } | undefined;
    for (let i = 0; i < DEVICE_LOGS_PER_MINUTE + 5 && !refused; i++) {
      const res = await t.http.post(LOG).send({ logs: [`flood ${i}`] });
      if (res.status === 200) accepted++;
      else refused = res as never;
    }
    expect(accepted).toBe(DEVICE_LOGS_PER_MINUTE);
    expect(refused?.status).toBe(429);
    expect(refused?.body.code).toBe('rate_limited');
    expect(Number(refused?.headers['retry-after'])).toBeGreaterThan(0);
  });
});
