import http from 'node:http';
import type { AddressInfo } from 'node:net';
import nock from 'nock';
import { z } from 'zod';
import { defineConnector } from './connector';
import { CONTRACT_VERSION } from './contracts/envelope';
import { guardedHttp, guardedLookup, isForbiddenAddress, isRefusedAddress, type Resolver } from './http';
import { handlerContext, MemoryKeyValueStore, MemoryProcessedStore } from './runtime';
import { memoryLogger } from './testkit';

/** A local HTTP server that counts hits; `reply` decides the answer. */
async function server(reply: (req: http.IncomingMessage, res: http.ServerResponse) => void = (_q, r) => r.end('ok')) {
  const hits: string[] = [];
  const s = http.createServer((req, res) => {
    hits.push(req.url ?? '');
    reply(req, res);
  });
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as AddressInfo).port;
  return { hits, port, url: `http://127.0.0.1:${port}`, close: () => new Promise<void>((r) => s.close(() => r())) };
}

const refused = (p: Promise<unknown>) =>
  p.then(
    () => 'reached',
    (e) => (isRefusedAddress(e) ? 'refused' : `failed: ${(e as Error).message}`),
  );

describe('guardedHttp: the SDK’s SSRF-guarded client', () => {
  let target: Awaited<ReturnType<typeof server>>;
  beforeAll(async () => {
    target = await server();
  });
  afterAll(() => target.close());
  afterEach(() => {
    // Back to the suite's rule: local servers only.
    nock.enableNetConnect(/^(127\.0\.0\.1|localhost|\[::1\])(:\d+)?$/);
  });

  it('refuses loopback, private, link-local and metadata literals and local names before connecting', async () => {
    const ax = guardedHttp();
    const urls = [
      target.url,
      `http://localhost:${target.port}/`,
      `http://[::1]:${target.port}/`,
      `http://[::ffff:127.0.0.1]:${target.port}/`,
      'http://10.0.0.5/x',
      'http://172.16.3.4/x',
      'http://192.168.1.1/x',
      'http://169.254.169.254/latest/meta-data',
      'http://100.100.100.200/latest/meta-data',
      'http://0.0.0.0/x',
      'http://metadata.google.internal/computeMetadata/v1/',
    ];
    const outcomes = await Promise.all(urls.map((u) => refused(ax.get(u))));
    expect(outcomes).toEqual(urls.map(() => 'refused'));
    expect(target.hits).toHaveLength(0);
  });

  it('resolves names and refuses when any address is private (DNS rebinding, mixed answers)', async () => {
    nock.enableNetConnect(); // the names below are resolved by the injected resolver, never by DNS
    const answers: Record<string, { address: string; family: 4 | 6 }[]> = {
      'rebind.example.com': [{ address: '127.0.0.1', family: 4 }],
      'mixed.example.com': [
        { address: '93.184.216.34', family: 4 },
        { address: '10.1.2.3', family: 4 },
      ],
      'v6.example.com': [{ address: 'fd00:ec2::254', family: 6 }],
    };
    const resolver: Resolver = async (h) => answers[h] ?? [];
    const ax = guardedHttp({ resolver });
    for (const host of Object.keys(answers)) expect(await refused(ax.get(`http://${host}:${target.port}/`))).toBe('refused');
    expect(target.hits).toHaveLength(0);
    // The same name with private targets allowed reaches the server: the guard, not the name, stopped it.
    const open = guardedHttp({ resolver, allowPrivate: true });
    expect((await open.get(`http://rebind.example.com:${target.port}/ok`)).status).toBe(200);
    expect(target.hits).toEqual(['/ok']);
    target.hits.length = 0;
  });

  it('the socket lookup refuses a forbidden answer in both callback shapes', async () => {
    const lookup = guardedLookup(false, async () => [{ address: '169.254.169.254', family: 4 }]);
    const one = await new Promise<unknown>((r) => lookup('meta.example.com', {}, (e) => r(e)));
    const all = await new Promise<unknown>((r) => lookup('meta.example.com', { all: true }, (e) => r(e)));
    expect([isRefusedAddress(one), isRefusedAddress(all)]).toEqual([true, true]);
    expect([isForbiddenAddress('8.8.8.8'), isForbiddenAddress('::ffff:a9fe:a9fe'), isForbiddenAddress('not-an-ip')]).toEqual([false, true, true]);
  });

  it('never follows a redirect, even when a caller asks for it', async () => {
    const inner = await server();
    const outer = await server((_q, r) => {
      r.writeHead(302, { location: `${inner.url}/admin/secret` });
      r.end();
    });
    try {
      const ax = guardedHttp({ allowPrivate: true });
      const e = await ax.post(`${outer.url}/token`, 'x', { maxRedirects: 5 }).catch((x: { response?: { status: number } }) => x);
      expect((e as { response?: { status: number } }).response?.status).toBe(302);
      const accepted = await ax.get(outer.url, { validateStatus: () => true, maxRedirects: 5 });
      expect(accepted.status).toBe(302);
      expect(outer.hits).toHaveLength(2);
      expect(inner.hits).toHaveLength(0);
    } finally {
      await inner.close();
      await outer.close();
    }
  });

  it('gives up on a server that never answers', async () => {
    const hang = await server(() => undefined);
    try {
      const e = await guardedHttp({ allowPrivate: true, timeoutMs: 200 })
        .get(hang.url)
        .catch((x: Error & { code?: string }) => x);
      expect(e).toBeInstanceOf(Error);
      expect(['ECONNABORTED', 'ERR_CANCELED', 'ETIMEDOUT']).toContain((e as { code?: string }).code);
    } finally {
      await hang.close();
    }
  });

  it('is the default ctx.http of connector handlers (private targets only when the host allows them)', async () => {
    const def = defineConnector({
      manifest: { id: 'probe', name: 'Probe', category: 'crm', version: '1.0.0', contractVersion: CONTRACT_VERSION, consumes: [], description: 'probe' },
      configSchema: z.object({}),
      handlers: {},
    } as never);
    const deps = {
      installation: async () => ({}),
      processed: new MemoryProcessedStore(),
      store: () => new MemoryKeyValueStore(),
      hub: () => ({ request: async () => undefined as never }),
      log: memoryLogger(),
    };
    const guarded = handlerContext(def, deps, 'b1', {});
    expect(await refused(guarded.http.get(`${target.url}/from-handler`))).toBe('refused');
    expect(target.hits).toHaveLength(0);
    const allowed = handlerContext(def, { ...deps, allowPrivate: true }, 'b1', {});
    expect((await allowed.http.get(`${target.url}/from-handler`)).status).toBe(200);
    expect(target.hits).toEqual(['/from-handler']);
  });
});
