import { Writable } from 'node:stream';
import pino from 'pino';
import client from 'prom-client';
import request from 'supertest';
import { z } from 'zod';
import { createHttpApp } from './app';
import type { TenantsService } from '../modules/tenants/tenants.service';

/** An app with one public route, logging JSON lines into `lines` at `level`. */
function appWith(level: string) {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString().split('\n')) if (l.trim()) lines.push(JSON.parse(l) as Record<string, unknown>);
      cb();
    },
  });
  const metrics = new client.Registry();
  const { app, api, finish } = createHttpApp({
    log: pino({ level }, sink),
    tenants: {} as TenantsService,
    publicUrl: 'http://localhost',
    version: 'test',
    trustProxy: 0,
    health: async () => ({ ok: true, checks: {} }),
    metrics,
  });
  api.route(
    {
      method: 'post',
      path: '/v1/echo',
      auth: 'public',
      summary: 'echo',
      tags: ['test'],
      body: z.object({ n: z.number().int() }).strict(),
      response: z.object({ n: z.number() }),
    },
    async (req) => ({ n: (req.valid.body as { n: number }).n }),
  );
  finish();
  return { app, lines, metrics };
}

describe('request ids and request log', () => {
  it('echoes a valid X-Request-Id, makes one otherwise, and logs 4xx answers at info with the id, path and status', async () => {
    const { app, lines } = appWith('info');
    const ok = await request(app).post('/v1/echo?x=1').set('X-Request-Id', 'till-7.abc').send({ n: 1 });
    expect(ok.status).toBe(200);
    expect(ok.headers['x-request-id']).toBe('till-7.abc');
    const bad = await request(app).post('/v1/echo').set('X-Request-Id', 'no spaces allowed').send({ n: 'x' });
    expect(bad.status).toBe(400);
    expect(bad.headers['x-request-id']).toMatch(/^[A-Za-z0-9._:-]{1,64}$/);
    expect(bad.headers['x-request-id']).not.toBe('no spaces allowed');
    expect((bad.body as { requestId: string }).requestId).toBe(bad.headers['x-request-id']);
    // A 2xx is a debug line: not written at info.
    const requestLines = lines.filter((l) => l.req);
    expect(requestLines).toHaveLength(1);
    expect(requestLines[0]).toMatchObject({ level: 30, req: { id: bad.headers['x-request-id'], method: 'POST', url: '/v1/echo' }, res: { statusCode: 400 } });
    expect(typeof requestLines[0]!.responseTime).toBe('number');
  });

  it('logs successful answers at debug, without the query string, and counts every answer in the duration histogram', async () => {
    const { app, lines, metrics } = appWith('debug');
    await request(app).post('/v1/echo?token=secret').send({ n: 2 }).expect(200);
    const line = lines.find((l) => l.req);
    expect(line).toMatchObject({ level: 20, req: { method: 'POST', url: '/v1/echo' }, res: { statusCode: 200 } });
    expect(JSON.stringify(lines)).not.toContain('secret');
    const text = await metrics.metrics();
    expect(text).toMatch(/http_request_duration_seconds_count\{method="POST",route="\/v1\/echo",status="200"\} 1/);
  });
});
