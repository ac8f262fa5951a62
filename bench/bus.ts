/**
 * `npm run bench -- bus [--events=20000] [--amqp=amqp://…] [--database-url=mysql://…] [--rounds=3] [--plain-consumer]`
 * (`--plain-consumer`: a bare bus consumer instead of the connector runtime, to see what the runtime costs)
 *
 * Events per second from the outbox through RabbitMQ to a connector consumer — the hub's real path:
 * OutboxRelay (publisher confirms, lease) -> topic exchange -> the connector's quorum queue ->
 * ConnectorHost dispatcher (installation look-up, dedupe on message id in the database, handler,
 * processed mark) — beside raw amqplib in the same run: the same number of messages of the same
 * size published persistent with confirms to a quorum queue and consumed with acks (prefetch 50).
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { connect } from 'amqplib';
import pino from 'pino';
import { z } from 'zod';
import { CONTRACT_VERSION, defineConnector } from '@loyalty/sdk';
import { loadConfig } from '../hub/src/config';
import { Db } from '../hub/src/db/db';
import { RabbitBus, consumerQueues, rabbitNames } from '../hub/src/bus/rabbit-bus';
import { emit, OutboxRelay } from '../hub/src/bus/outbox';
import { OutboxMessage } from '../hub/src/bus/outbox.entity';
import { SecretBox } from '../hub/src/shared/crypto';
import { systemActor } from '../hub/src/shared/context';
import { AuditService } from '../hub/src/modules/audit/audit.service';
import { createIntegrations } from '../hub/src/modules/integrations/integrations.module';
import { log, median, numFlag, parseArgs, Results, round, sleep } from './lib';

const BUSINESS = 'bench-business';
const PREFETCH = 50;

async function waitUntil(cond: () => boolean, what: string, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`Timed out waiting for ${what}`);
    await sleep(2);
  }
}

/** Raw amqplib: publish n persistent messages with confirms (in windows of 500) to a quorum queue, consume with acks. */
async function rawAmqplib(url: string, n: number, body: Buffer): Promise<number> {
  const conn = await connect(url);
  const queue = `bench.raw.${process.pid}.${randomBytes(3).toString('hex')}`;
  try {
    const setup = await conn.createChannel();
    await setup.assertQueue(queue, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
    const cons = await conn.createChannel();
    await cons.prefetch(PREFETCH);
    let got = 0;
    await cons.consume(queue, (m) => {
      if (!m) return;
      JSON.parse(m.content.toString('utf8'));
      got++;
      cons.ack(m);
    });
    const pub = await conn.createConfirmChannel();
    const t0 = performance.now();
    for (let i = 0; i < n; i += 500) {
      for (let j = i; j < Math.min(n, i + 500); j++) pub.sendToQueue(queue, body, { persistent: true, contentType: 'application/json', messageId: String(j) });
      await pub.waitForConfirms();
    }
    await waitUntil(() => got >= n, 'raw consumer', 120_000);
    const s = (performance.now() - t0) / 1000;
    await setup.deleteQueue(queue);
    return n / s;
  } finally {
    await conn.close().catch(() => undefined);
  }
}

export async function main(argv: string[]): Promise<number> {
  const { flags } = parseArgs(argv);
  const n = numFlag(flags, 'events', 20_000);
  const rounds = numFlag(flags, 'rounds', 3);
  const url = String(flags.amqp ?? process.env.AMQP_URL ?? process.env.TEST_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672');
  const dbUrl = typeof flags['database-url'] === 'string' ? flags['database-url'] : undefined;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-bus-'));
  const quiet = pino({ level: 'silent' });
  const namespace = `bench.${process.pid}.${randomBytes(3).toString('hex')}`;
  const results = new Results('bus');

  const db = await Db.open({ url: dbUrl, sqlitePath: path.join(dir, 'bench.sqlite'), poolSize: 20 });
  const bus = new RabbitBus(url, quiet, { namespace });
  await bus.start();
  let handled = 0;
  const seen = new Set<string>();
  let duplicates = 0;
  const bench = defineConnector({
    manifest: {
      id: 'bench-sink',
      name: 'Bench sink',
      category: 'crm',
      version: '1.0.0',
      contractVersion: CONTRACT_VERSION,
      consumes: ['card.balance_changed'],
      description: 'Counts what it receives.',
    },
    configSchema: z.object({}),
    // A local sink, like the webhooks connector's handlers (which only write a delivery row).
    concurrency: 200,
    handlers: {
      'card.balance_changed': async (msg) => {
        if (seen.has(msg.id)) duplicates++;
        seen.add(msg.id);
        handled++;
      },
    },
  });
  const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', CONNECTORS: '' });
  const audit = new AuditService(db);
  const { service, host } = createIntegrations({
    db,
    bus,
    log: quiet,
    audit,
    secrets: new SecretBox('bench-secret-'.padEnd(40, 'b')),
    config,
    extra: [() => bench],
  });
  try {
    await service.install({ businessId: BUSINESS, actor: systemActor('bench') }, { connectorId: 'bench-sink', config: {}, enabled: true });
    if (flags['plain-consumer']) {
      // Diagnostic: a bare bus consumer instead of the connector runtime.
      await bus.subscribe('connector.bench-sink', ['card.balance_changed'], async (m) => {
        if (seen.has(m.id)) duplicates++;
        seen.add(m.id);
        handled++;
      });
    } else await host.start();

    // Warm-up (connections, JIT, statement caches), then the measured batch.
    const relay = new OutboxRelay(db, bus, quiet, { pollMs: 5, batch: 500 });
    const fill = async (count: number) => {
      for (let i = 0; i < count; i += 500) {
        await db.transaction(async (tx) => {
          for (let j = i; j < Math.min(count, i + 500); j++) {
            await emit(tx, BUSINESS, 'card.balance_changed', {
              cardId: `card-${j % 97}`,
              guestId: null,
              balance: j,
              delta: 1,
              unit: 'points',
              reason: 'bench',
            });
          }
        });
      }
    };
    log(`warm-up: 1000 events through the outbox (${db.kind}) and RabbitMQ`);
    await fill(1000);
    relay.start();
    await waitUntil(() => handled >= 1000, 'warm-up', 120_000);
    await relay.stop();
    handled = 0;

    // Rounds alternate ours and the baseline, so both see the same machine load; medians are reported.
    const oursRuns: number[] = [];
    const rawRuns: number[] = [];
    let body = Buffer.alloc(0);
    for (let round_ = 1; round_ <= rounds; round_++) {
      handled = 0;
      log(`round ${round_}/${rounds}: writing ${n} events into the outbox`);
      await fill(n);
      const sample = await db.manager.getRepository(OutboxMessage).findOne({ where: {}, order: { seq: 'DESC' } });
      body = Buffer.from(
        JSON.stringify({ id: sample!.eventId, type: sample!.type, businessId: BUSINESS, occurredAt: new Date().toISOString(), data: sample!.data }),
      );
      log(`round ${round_}/${rounds}: outbox -> RabbitMQ -> connector`);
      const t0 = performance.now();
      relay.start();
      await waitUntil(() => handled >= n, 'the connector to receive every event', 600_000);
      oursRuns.push(n / ((performance.now() - t0) / 1000));
      await relay.stop();
      log(`round ${round_}/${rounds}: raw amqplib publish/consume of ${body.length}-byte messages`);
      rawRuns.push(await rawAmqplib(url, n, body));
    }
    const ours = median(oursRuns);
    const raw = median(rawRuns);
    results.add({
      bench: 'bus.outbox-to-connector',
      value: round(ours),
      unit: 'events/s',
      baseline: 'raw-amqplib',
      baselineValue: round(raw),
      events: n,
      rounds,
      runs: oursRuns.map((v) => round(v)),
      baselineRuns: rawRuns.map((v) => round(v)),
      database: db.kind,
      duplicates,
      target: 0.5,
    });
    log(`wrote ${results.write()}`);
  } finally {
    await host.stop();
    await bus.close();
    const conn = await connect(url);
    const ch = await conn.createChannel();
    for (const q of [...consumerQueues('connector.bench-sink', undefined, namespace), rabbitNames(namespace).commands])
      await ch.deleteQueue(q).catch(() => undefined);
    await ch.deleteExchange(rabbitNames(namespace).exchange).catch(() => undefined);
    await conn.close();
    await db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return 0;
}
