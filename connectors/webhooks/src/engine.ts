import { randomUUID } from 'node:crypto';
import { In, LessThanOrEqual } from 'typeorm';
import { ConnectorProblem, type ConnectorLogger, type ConnectorStore, type Envelope } from '@loyalty/sdk';
import {
  WebhookAttemptEntity,
  WebhookDeliveryEntity,
  WebhookEndpointEntity,
  type WebhookAttempt,
  type WebhookDelivery,
  type WebhookEndpoint,
} from './entities';
import { serializePayload, toPayload, wantsEvent } from './translate/payload';
import { classify, DEFAULT_SCHEDULE_MS, DELIVERY_TIMEOUT_MS, nextDelay, type AttemptResult } from './translate/schedule';
import { newWebhookSecret, webhookHeaders } from './translate/signature';
import { deliverHttp, type DeliverFn } from './transport/deliver';
import { literalHostProblem } from './transport/ssrf';

export interface EngineOptions {
  /** The connector's own tables (the host's store scoped to `webhookEntities`). */
  store: ConnectorStore;
  secrets: { seal(plain: string): string; open(sealed: string): string };
  log: ConnectorLogger;
  now?: () => Date;
  /** Delays after attempts 1..n (default: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h). */
  schedule?: readonly number[];
  random?: () => number;
  allowPrivate?: boolean;
  timeoutMs?: number;
  /** How often the retry loop looks for due deliveries. */
  pollMs?: number;
  deliver?: DeliverFn;
  /** Deliveries sent concurrently by one pass. */
  batch?: number;
}

export interface EndpointInput {
  url: string;
  description?: string | null;
  eventTypes?: string[];
  enabled?: boolean;
  disableAfterDays?: number;
}

const ROTATION_OVERLAP_MS = 24 * 3600_000;
const DAY_MS = 24 * 3600_000;

export const endpointView = (e: WebhookEndpoint) => ({
  id: e.id,
  url: e.url,
  description: e.description,
  eventTypes: e.eventTypes,
  enabled: e.enabled,
  disabledReason: e.disabledReason,
  disabledAt: e.disabledAt,
  disableAfterDays: e.disableAfterDays,
  failingSince: e.failingSince,
  lastSuccessAt: e.lastSuccessAt,
  lastFailureAt: e.lastFailureAt,
  /** Never the secret itself: only whether one is set and when a rotation's old secret stops signing. */
  secret: { set: true as const, previousValidUntil: e.previousSecret && e.previousSecretExpiresAt ? e.previousSecretExpiresAt : null },
  createdAt: e.createdAt,
  updatedAt: e.updatedAt,
});

export const attemptView = (a: WebhookAttempt) => ({
  attempt: a.attempt,
  status: a.status,
  responseCode: a.responseCode,
  durationMs: a.durationMs,
  error: a.error,
  at: a.createdAt,
});

/**
 * Webhook deliveries: endpoints, a persisted delivery per (endpoint, event), attempts with the
 * retry schedule, and the loop that sends what is due. Any number of processes may run the loop:
 * a delivery is claimed with a conditional update before it is sent.
 */
export class WebhookEngine {
  private readonly store: ConnectorStore;
  private readonly now: () => Date;
  private readonly schedule: readonly number[];
  private readonly random: () => number;
  private readonly deliverFn: DeliverFn;
  private timer?: NodeJS.Timeout;
  private running?: Promise<number>;
  private again = false;
  private stopped = true;

  constructor(private readonly o: EngineOptions) {
    this.store = o.store;
    this.now = o.now ?? (() => new Date());
    this.schedule = o.schedule ?? DEFAULT_SCHEDULE_MS;
    this.random = o.random ?? Math.random;
    this.deliverFn = o.deliver ?? deliverHttp;
  }

  private get endpoints() {
    return this.store.repository(WebhookEndpointEntity);
  }
  private get deliveries() {
    return this.store.repository(WebhookDeliveryEntity);
  }
  private get attempts() {
    return this.store.repository(WebhookAttemptEntity);
  }

  // ---------------------------------------------------------------- endpoints

  private checkUrl(raw: string): void {
    const url = new URL(raw);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new ConnectorProblem(422, 'url_not_allowed', 'The URL must use https (or http)');
    if (url.username || url.password) throw new ConnectorProblem(422, 'url_not_allowed', 'Put no credentials in the URL; verify the signature instead');
    if (!this.o.allowPrivate) {
      const why = literalHostProblem(url);
      if (why) throw new ConnectorProblem(422, 'url_not_allowed', `Webhooks cannot target ${why}`);
    }
  }

  async listEndpoints(businessId: string): Promise<WebhookEndpoint[]> {
    return this.endpoints.find({ where: { businessId }, order: { createdAt: 'ASC' } });
  }

  async getEndpoint(businessId: string, id: string): Promise<WebhookEndpoint> {
    const e = await this.endpoints.findOneBy({ id, businessId });
    if (!e) throw new ConnectorProblem(404, 'endpoint_not_found', 'Webhook endpoint not found');
    return e;
  }

  /** Creates an endpoint; the returned secret is shown once and never again. */
  async createEndpoint(businessId: string, input: EndpointInput): Promise<{ endpoint: WebhookEndpoint; secret: string }> {
    this.checkUrl(input.url);
    const secret = newWebhookSecret();
    const e: WebhookEndpoint = {
      id: randomUUID(),
      businessId,
      url: input.url,
      description: input.description ?? null,
      eventTypes: input.eventTypes ?? [],
      enabled: input.enabled ?? true,
      disabledReason: input.enabled === false ? 'manual' : null,
      disabledAt: input.enabled === false ? this.now() : null,
      secret: this.o.secrets.seal(secret),
      previousSecret: null,
      previousSecretExpiresAt: null,
      failingSince: null,
      disableAfterDays: input.disableAfterDays ?? 5,
      lastSuccessAt: null,
      lastFailureAt: null,
      createdAt: this.now(),
      updatedAt: this.now(),
    };
    await this.store.transaction((em) => em.repository(WebhookEndpointEntity).insert(e));
    return { endpoint: await this.getEndpoint(businessId, e.id), secret };
  }

  async updateEndpoint(businessId: string, id: string, patch: Partial<EndpointInput>): Promise<{ before: WebhookEndpoint; after: WebhookEndpoint }> {
    const before = await this.getEndpoint(businessId, id);
    if (patch.url !== undefined) this.checkUrl(patch.url);
    const set: Partial<WebhookEndpoint> = {};
    if (patch.url !== undefined) set.url = patch.url;
    if (patch.description !== undefined) set.description = patch.description;
    if (patch.eventTypes !== undefined) set.eventTypes = patch.eventTypes;
    if (patch.disableAfterDays !== undefined) set.disableAfterDays = patch.disableAfterDays;
    if (patch.enabled === true && !before.enabled) Object.assign(set, { enabled: true, disabledReason: null, disabledAt: null, failingSince: null });
    if (patch.enabled === false && before.enabled) Object.assign(set, { enabled: false, disabledReason: 'manual', disabledAt: this.now() });
    if (Object.keys(set).length) await this.store.transaction((em) => em.repository(WebhookEndpointEntity).update({ id, businessId }, set));
    return { before, after: await this.getEndpoint(businessId, id) };
  }

  async deleteEndpoint(businessId: string, id: string): Promise<WebhookEndpoint> {
    const e = await this.getEndpoint(businessId, id);
    await this.store.transaction(async (em) => {
      await em.repository(WebhookAttemptEntity).delete({ endpointId: id, businessId });
      await em.repository(WebhookDeliveryEntity).delete({ endpointId: id, businessId });
      await em.repository(WebhookEndpointEntity).delete({ id, businessId });
    });
    return e;
  }

  /** A new secret (shown once); the old one keeps signing beside it for 24 h so receivers can switch. */
  async rotateSecret(businessId: string, id: string): Promise<{ endpoint: WebhookEndpoint; secret: string }> {
    const e = await this.getEndpoint(businessId, id);
    const secret = newWebhookSecret();
    await this.store.transaction((em) =>
      em
        .repository(WebhookEndpointEntity)
        .update(
          { id, businessId },
          { secret: this.o.secrets.seal(secret), previousSecret: e.secret, previousSecretExpiresAt: new Date(this.now().getTime() + ROTATION_OVERLAP_MS) },
        ),
    );
    return { endpoint: await this.getEndpoint(businessId, id), secret };
  }

  /** Drops every endpoint and delivery of a business (on uninstall). */
  async purgeBusiness(businessId: string): Promise<void> {
    await this.store.transaction(async (em) => {
      await em.repository(WebhookAttemptEntity).delete({ businessId });
      await em.repository(WebhookDeliveryEntity).delete({ businessId });
      await em.repository(WebhookEndpointEntity).delete({ businessId });
    });
  }

  // ---------------------------------------------------------------- deliveries

  /** Records a delivery of the event for every enabled endpoint that wants it (once per endpoint and event), then kicks the loop. */
  async enqueue(businessId: string, env: Envelope): Promise<number> {
    const targets = (await this.endpoints.findBy({ businessId, enabled: true })).filter((e) => wantsEvent(e.eventTypes, env.type));
    if (!targets.length) return 0;
    const payload = serializePayload(toPayload(env));
    const now = this.now();
    const existing = new Set(
      (await this.deliveries.find({ select: { endpointId: true }, where: { messageId: env.id, endpointId: In(targets.map((t) => t.id)) } })).map(
        (d) => d.endpointId,
      ),
    );
    const rows: WebhookDelivery[] = targets
      .filter((t) => !existing.has(t.id))
      .map((t) => ({
        id: randomUUID(),
        businessId,
        endpointId: t.id,
        messageId: env.id,
        eventType: env.type,
        payload,
        status: 'pending',
        attempts: 0,
        roundAttempts: 0,
        nextAttemptAt: now,
        lockedUntil: null,
        lastStatusCode: null,
        lastError: null,
        lastAttemptAt: null,
        deliveredAt: null,
        createdAt: now,
        updatedAt: now,
      }));
    if (rows.length) {
      try {
        await this.store.transaction((em) => em.repository(WebhookDeliveryEntity).insert(rows));
      } catch (e) {
        // A concurrent redelivery of the same event inserted them first: fine, each endpoint gets it once.
        if (!/unique|duplicate/i.test(String((e as Error).message))) throw e;
      }
    }
    this.kick();
    return rows.length;
  }

  async listDeliveries(businessId: string, endpointId: string, q: { limit: number; status?: string; before?: string }) {
    await this.getEndpoint(businessId, endpointId);
    const qb = this.deliveries
      .createQueryBuilder('d')
      .where('d.businessId = :b AND d.endpointId = :e', { b: businessId, e: endpointId })
      .orderBy('d.createdAt', 'DESC')
      .addOrderBy('d.id', 'DESC')
      .limit(q.limit);
    if (q.status) qb.andWhere('d.status = :s', { s: q.status });
    if (q.before) qb.andWhere('d.createdAt < :t', { t: new Date(q.before) });
    const rows = await qb.getMany();
    const tries = rows.length ? await this.attempts.find({ where: { deliveryId: In(rows.map((r) => r.id)) }, order: { attempt: 'ASC' } }) : [];
    return rows.map((d) => ({
      id: d.id,
      messageId: d.messageId,
      eventType: d.eventType,
      status: d.status,
      attempts: d.attempts,
      nextAttemptAt: d.status === 'pending' ? d.nextAttemptAt : null,
      lastStatusCode: d.lastStatusCode,
      lastError: d.lastError,
      lastAttemptAt: d.lastAttemptAt,
      deliveredAt: d.deliveredAt,
      createdAt: d.createdAt,
      log: tries.filter((a) => a.deliveryId === d.id).map(attemptView),
    }));
  }

  /** Sends a delivery again now (whatever its state), starting a fresh retry round; same webhook-id. */
  async replay(businessId: string, endpointId: string, deliveryId: string): Promise<void> {
    const ep = await this.getEndpoint(businessId, endpointId);
    if (!ep.enabled) throw new ConnectorProblem(409, 'endpoint_disabled', 'Enable the endpoint before replaying deliveries to it');
    const r = await this.store.transaction((em) =>
      em
        .repository(WebhookDeliveryEntity)
        .createQueryBuilder()
        .update()
        .set({ status: 'pending', roundAttempts: 0, nextAttemptAt: this.now(), lockedUntil: null })
        .where('id = :id AND businessId = :b AND endpointId = :e AND status <> :sending', { id: deliveryId, b: businessId, e: endpointId, sending: 'sending' })
        .execute(),
    );
    if (!r.affected) {
      const d = await this.deliveries.findOneBy({ id: deliveryId, businessId, endpointId });
      if (!d) throw new ConnectorProblem(404, 'delivery_not_found', 'Delivery not found');
      throw new ConnectorProblem(409, 'delivery_in_flight', 'The delivery is being sent right now');
    }
    this.kick();
  }

  // ---------------------------------------------------------------- the loop

  start(pollMs = this.o.pollMs ?? 1000): void {
    this.pollMs = pollMs;
    this.stopped = false;
    this.wake(0);
  }

  private pollMs = 1000;

  private wake(ms: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.tick(), ms);
    this.timer.unref?.();
  }

  private async tick(): Promise<void> {
    await this.runDue().catch((e) => this.o.log.warn({ err: (e as Error).message }, 'webhook pass failed'));
    if (this.stopped) return;
    const again = this.again;
    this.again = false;
    this.wake(again ? 0 : this.pollMs);
  }

  /** Asks the loop for a pass soon (after an enqueue or a replay). */
  kick(): void {
    if (this.stopped) return;
    if (this.running) this.again = true;
    else this.wake(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running?.catch(() => undefined);
  }

  /** One pass: sends every delivery that is due (passes do not overlap); returns how many were attempted. */
  async runDue(): Promise<number> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = this.pass();
    try {
      return await this.running;
    } finally {
      this.running = undefined;
    }
  }

  private async pass(): Promise<number> {
    let total = 0;
    const batch = this.o.batch ?? 20;
    for (;;) {
      const now = this.now();
      const due = await this.deliveries.find({
        where: [
          { status: 'pending', nextAttemptAt: LessThanOrEqual(now) },
          // A process that died mid-send left it claimed: take it over once the claim ran out.
          { status: 'sending', lockedUntil: LessThanOrEqual(now) },
        ],
        order: { nextAttemptAt: 'ASC' },
        take: batch,
      });
      if (!due.length) return total;
      const claimed = (await Promise.all(due.map((d) => this.claim(d, now)))).filter((d): d is WebhookDelivery => !!d);
      await Promise.all(
        claimed.map((d) => this.attempt(d).catch((e) => this.o.log.warn({ err: (e as Error).message, deliveryId: d.id }, 'webhook attempt failed'))),
      );
      total += claimed.length;
      if (due.length < batch) return total;
    }
  }

  private async claim(d: WebhookDelivery, now: Date): Promise<WebhookDelivery | undefined> {
    const lockedUntil = new Date(now.getTime() + (this.o.timeoutMs ?? DELIVERY_TIMEOUT_MS) + 60_000);
    const r = await this.store.transaction((em) =>
      em
        .repository(WebhookDeliveryEntity)
        .createQueryBuilder()
        .update()
        .set({ status: 'sending', lockedUntil })
        .where("id = :id AND ((status = 'pending' AND nextAttemptAt <= :now) OR (status = 'sending' AND lockedUntil <= :now))", { id: d.id, now })
        .execute(),
    );
    return r.affected ? d : undefined;
  }

  private async attempt(d: WebhookDelivery): Promise<void> {
    const ep = await this.endpoints.findOneBy({ id: d.endpointId, businessId: d.businessId });
    const startedAt = this.now();
    if (!ep || !ep.enabled) {
      await this.store.transaction((em) =>
        em
          .repository(WebhookDeliveryEntity)
          .update(
            { id: d.id },
            {
              status: 'canceled',
              lockedUntil: null,
              nextAttemptAt: null,
              lastError: ep ? `Endpoint disabled (${ep.disabledReason ?? 'manual'})` : 'Endpoint deleted',
            },
          ),
      );
      return;
    }
    const secrets = [this.o.secrets.open(ep.secret)];
    if (ep.previousSecret && ep.previousSecretExpiresAt && ep.previousSecretExpiresAt.getTime() > startedAt.getTime())
      secrets.push(this.o.secrets.open(ep.previousSecret));
    const headers = webhookHeaders(secrets, d.messageId, Math.floor(startedAt.getTime() / 1000), d.payload);
    const result: AttemptResult = await this.deliverFn({
      url: ep.url,
      headers,
      body: d.payload,
      timeoutMs: this.o.timeoutMs ?? DELIVERY_TIMEOUT_MS,
      allowPrivate: !!this.o.allowPrivate,
    });
    const now = this.now();
    const verdict = classify(result, now.getTime());
    const attemptNo = d.attempts + 1;
    const round = d.roundAttempts + 1;
    const code = result.kind === 'response' ? result.status : null;
    let error: string | null =
      verdict.kind === 'delivered' ? null : verdict.kind === 'gone' ? 'HTTP 410 Gone: the endpoint asked to stop; it was disabled' : verdict.error;
    const set: Partial<WebhookDelivery> = { attempts: attemptNo, roundAttempts: round, lastStatusCode: code, lastAttemptAt: now, lockedUntil: null };
    const epSet: Partial<WebhookEndpoint> = {};
    if (verdict.kind === 'delivered') {
      Object.assign(set, { status: 'succeeded', deliveredAt: now, nextAttemptAt: null, lastError: null });
      Object.assign(epSet, { failingSince: null, lastSuccessAt: now });
    } else {
      epSet.lastFailureAt = now;
      const failingSince = ep.failingSince ?? now;
      if (!ep.failingSince) epSet.failingSince = now;
      if (verdict.kind === 'gone') {
        Object.assign(set, { status: 'failed', nextAttemptAt: null });
        Object.assign(epSet, { enabled: false, disabledReason: 'gone', disabledAt: now });
      } else if (now.getTime() - failingSince.getTime() >= ep.disableAfterDays * DAY_MS) {
        error = `${error}; endpoint disabled after ${ep.disableAfterDays} days of failures`;
        Object.assign(set, { status: 'failed', nextAttemptAt: null });
        Object.assign(epSet, { enabled: false, disabledReason: 'failing', disabledAt: now });
      } else {
        const delay = nextDelay(round, this.schedule, this.random, verdict.minDelayMs);
        if (delay === undefined) Object.assign(set, { status: 'failed', nextAttemptAt: null });
        else Object.assign(set, { status: 'pending', nextAttemptAt: new Date(now.getTime() + delay) });
      }
      set.lastError = error!.slice(0, 500);
    }
    await this.store.transaction(async (em) => {
      await em.repository(WebhookDeliveryEntity).update({ id: d.id }, set);
      await em.repository(WebhookAttemptEntity).insert({
        id: randomUUID(),
        businessId: d.businessId,
        endpointId: d.endpointId,
        deliveryId: d.id,
        attempt: attemptNo,
        status: verdict.kind === 'delivered' ? 'succeeded' : 'failed',
        responseCode: code,
        durationMs: result.durationMs,
        error: error ? error.slice(0, 500) : null,
        createdAt: now,
        updatedAt: now,
      });
      if (Object.keys(epSet).length) await em.repository(WebhookEndpointEntity).update({ id: ep.id }, epSet);
    });
    if (verdict.kind !== 'delivered')
      this.o.log.info({ endpointId: ep.id, deliveryId: d.id, attempt: attemptNo, status: code, error }, 'webhook delivery failed');
  }
}
