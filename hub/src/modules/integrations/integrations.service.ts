import { z } from 'zod';
import { LessThan } from 'typeorm';
import { defaultHttp, maskSecret, mergeSecrets, scrubSecrets, secretKeys, secretValues, type CheckResult, type ConnectorDefinition } from '@loyalty/sdk';
import { Db, isUniqueViolation } from '../../db/db';
import type { Bus, ParkedMessage } from '../../bus/bus';
import type { Ctx } from '../../shared/context';
import type { SecretBox } from '../../shared/crypto';
import { conflict, notFound, Problem } from '../../shared/errors';
import { zodProblems } from '../../http/validate';
import type { AuditService } from '../audit/audit.service';
import { IntegrationInstallation, ProcessedMessage } from './integrations.entity';
import type { Logger } from 'pino';

/** How a secret field is kept in `config`: sealed, with the mask shown by the API. */
interface Sealed {
  $sealed: string;
  hint: string;
}
const isSealed = (v: unknown): v is Sealed => !!v && typeof v === 'object' && typeof (v as Sealed).$sealed === 'string';

export const consumerName = (connectorId: string) => `connector.${connectorId}`;

const CONFIG_CACHE_MS = 5000;
const SUCCESS_WRITE_EVERY_MS = 5000;
const CHECK_TIMEOUT_MS = 20_000;

/**
 * Installed connectors per business: install / configure / uninstall with the connector's zod
 * schema, secrets sealed with the hub's SecretBox (never returned, audited or logged), "test
 * connection", last success / last error, and the parked messages of each connector's consumer.
 */
export class IntegrationsService {
  private readonly cache = new Map<string, { config: Record<string, unknown> | undefined; at: number }>();
  private readonly successWritten = new Map<string, number>();

  constructor(
    private readonly db: Db,
    private readonly audit: AuditService,
    private readonly secrets: SecretBox,
    private readonly bus: Bus,
    readonly defs: ReadonlyMap<string, ConnectorDefinition>,
    private readonly log: Logger,
    private readonly runsInWorker: (id: string) => boolean = () => false,
    /** "Test connection" may reach private addresses (CONNECTORS_ALLOW_PRIVATE), as handlers may. */
    private readonly allowPrivate = false,
  ) {}

  /** Display name of a connector of the catalog. */
  connectorName(connectorId: string): string | undefined {
    return this.defs.get(connectorId)?.manifest.name;
  }

  private def(connectorId: string): ConnectorDefinition {
    const d = this.defs.get(connectorId);
    if (!d) throw notFound(`Connector ${connectorId}`, 'connector_not_found');
    return d;
  }

  async catalog(ctx: Ctx) {
    const installed = new Set(
      (await this.db.manager.getRepository(IntegrationInstallation).find({ where: { businessId: ctx.businessId }, select: { connectorId: true } })).map(
        (i) => i.connectorId,
      ),
    );
    return [...this.defs.values()].map((d) => ({
      ...d.manifest,
      consumes: [...d.manifest.consumes],
      configSchema: z.toJSONSchema(d.configSchema, { io: 'input', unrepresentable: 'any' }),
      secretFields: secretKeys(d.configSchema),
      hasCheck: !!d.check,
      installed: installed.has(d.manifest.id),
      runsIn: this.runsInWorker(d.manifest.id) ? ('worker' as const) : ('hub' as const),
    }));
  }

  // ---------------------------------------------------------------- config sealing

  /** Validates a config against the connector's schema; a 400 problem names each bad field as `config.<field>`. */
  private parseConfig(def: ConnectorDefinition, raw: Record<string, unknown>): Record<string, unknown> {
    const r = def.configSchema.safeParse(raw);
    if (!r.success) {
      const problems = zodProblems(r.error, 'body').map((p) => ({ ...p, field: p.field === 'body' ? 'config' : `config.${p.field}` }));
      throw new Problem(400, 'invalid_config', `The ${def.manifest.name} settings are not valid: ${problems.map((p) => p.field).join(', ')}`, problems);
    }
    return r.data as Record<string, unknown>;
  }

  private seal(def: ConnectorDefinition, config: Record<string, unknown>): Record<string, unknown> {
    const out: Record<string, unknown> = { ...config };
    for (const k of secretKeys(def.configSchema)) {
      const v = out[k];
      if (typeof v === 'string' && v.length) out[k] = { $sealed: this.secrets.seal(v), hint: maskSecret(v) } satisfies Sealed;
    }
    return out;
  }

  private open(stored: Record<string, unknown>): Record<string, unknown> {
    return Object.fromEntries(Object.entries(stored).map(([k, v]) => [k, isSealed(v) ? this.secrets.open(v.$sealed) : v]));
  }

  /** The config as the API shows it: sealed fields become their mask, without decrypting anything. */
  private masked(def: ConnectorDefinition, stored: Record<string, unknown>): Record<string, unknown> {
    const secret = new Set(secretKeys(def.configSchema));
    return Object.fromEntries(Object.entries(stored).map(([k, v]) => [k, isSealed(v) ? v.hint : secret.has(k) && v != null ? maskSecret(v) : v]));
  }

  view(i: IntegrationInstallation) {
    const def = this.defs.get(i.connectorId);
    return {
      connectorId: i.connectorId,
      name: def?.manifest.name ?? i.connectorId,
      category: def?.manifest.category ?? 'unknown',
      enabled: i.enabled,
      config: def ? this.masked(def, i.config ?? {}) : {},
      lastSuccessAt: i.lastSuccessAt,
      lastErrorAt: i.lastErrorAt,
      lastError: i.lastError,
      createdAt: i.createdAt,
      updatedAt: i.updatedAt,
    };
  }

  // ---------------------------------------------------------------- installations

  async list(ctx: Ctx): Promise<IntegrationInstallation[]> {
    return this.db.manager.getRepository(IntegrationInstallation).find({ where: { businessId: ctx.businessId }, order: { createdAt: 'ASC' } });
  }

  async get(ctx: Ctx, connectorId: string): Promise<IntegrationInstallation> {
    const i = await this.db.manager.getRepository(IntegrationInstallation).findOneBy({ businessId: ctx.businessId, connectorId });
    if (!i) throw notFound(`Installation of ${connectorId}`, 'integration_not_installed');
    return i;
  }

  async install(ctx: Ctx, body: { connectorId: string; config: Record<string, unknown>; enabled: boolean }): Promise<IntegrationInstallation> {
    const def = this.def(body.connectorId);
    const config = this.parseConfig(def, body.config);
    try {
      return await this.db.transaction(async (tx) => {
        const repo = tx.getRepository(IntegrationInstallation);
        const i = repo.create({
          businessId: ctx.businessId,
          connectorId: body.connectorId,
          enabled: body.enabled,
          config: this.seal(def, config),
          lastSuccessAt: null,
          lastErrorAt: null,
          lastError: null,
        });
        await repo.insert(i);
        await this.audit.record(ctx, tx, { action: 'integration.installed', targetType: 'integration', targetId: body.connectorId, after: this.auditView(i) });
        return i;
      });
    } catch (e) {
      if (isUniqueViolation(e)) throw conflict('integration_already_installed', `${def.manifest.name} is already installed; change its settings instead`);
      throw e;
    } finally {
      this.invalidate(ctx.businessId, body.connectorId);
    }
  }

  async configure(ctx: Ctx, connectorId: string, body: { config?: Record<string, unknown>; enabled?: boolean }): Promise<IntegrationInstallation> {
    const def = this.def(connectorId);
    try {
      return await this.db.transaction(async (tx) => {
        const repo = tx.getRepository(IntegrationInstallation);
        const i = await repo.findOneBy({ businessId: ctx.businessId, connectorId });
        if (!i) throw notFound(`Installation of ${connectorId}`, 'integration_not_installed');
        const before = this.auditView(i);
        const set: Partial<IntegrationInstallation> = {};
        if (body.config) {
          const merged = mergeSecrets(def.configSchema, this.open(i.config ?? {}), body.config);
          set.config = this.seal(def, this.parseConfig(def, merged));
        }
        if (body.enabled !== undefined) set.enabled = body.enabled;
        if (Object.keys(set).length) {
          await repo.update({ id: i.id }, set);
          Object.assign(i, set);
        }
        await this.audit.record(ctx, tx, {
          action: 'integration.configured',
          targetType: 'integration',
          targetId: connectorId,
          before,
          after: this.auditView(i),
        });
        return (await repo.findOneBy({ id: i.id }))!;
      });
    } finally {
      this.invalidate(ctx.businessId, connectorId);
    }
  }

  async uninstall(ctx: Ctx, connectorId: string): Promise<void> {
    const def = this.defs.get(connectorId);
    await this.db.transaction(async (tx) => {
      const repo = tx.getRepository(IntegrationInstallation);
      const i = await repo.findOneBy({ businessId: ctx.businessId, connectorId });
      if (!i) throw notFound(`Installation of ${connectorId}`, 'integration_not_installed');
      await repo.delete({ id: i.id });
      await this.audit.record(ctx, tx, { action: 'integration.uninstalled', targetType: 'integration', targetId: connectorId, before: this.auditView(i) });
    });
    this.invalidate(ctx.businessId, connectorId);
    await def?.uninstall?.(ctx.businessId);
  }

  /** What the history keeps: the shape and the non-secret settings; secret fields only as "set". */
  private auditView(i: IntegrationInstallation) {
    const config = Object.fromEntries(Object.entries(i.config ?? {}).map(([k, v]) => [k, isSealed(v) ? '[set]' : v]));
    return { connectorId: i.connectorId, enabled: i.enabled, config };
  }

  /** "Test connection": runs the connector's check with the stored (or proposed) settings and records the outcome. */
  async testConnection(ctx: Ctx, connectorId: string, proposed?: Record<string, unknown>): Promise<CheckResult> {
    const def = this.def(connectorId);
    const i = await this.db.manager.getRepository(IntegrationInstallation).findOneBy({ businessId: ctx.businessId, connectorId });
    const stored = i ? this.open(i.config ?? {}) : undefined;
    if (!i && !proposed) throw notFound(`Installation of ${connectorId}`, 'integration_not_installed');
    const config = this.parseConfig(def, proposed ? mergeSecrets(def.configSchema, stored, proposed) : stored!);
    if (!def.check) return { ok: true, detail: 'This connector has no connection check' };
    const secrets = secretValues(def.configSchema, config);
    let result: CheckResult;
    let timer: NodeJS.Timeout | undefined;
    try {
      const log = this.log.child({ connector: connectorId, businessId: ctx.businessId });
      result = await Promise.race([
        def.check(config as never, {
          log: {
            debug: () => undefined,
            info: () => undefined,
            warn: (o) => log.warn(scrubSecrets(o, secrets) as object),
            error: (o) => log.warn(scrubSecrets(o, secrets) as object),
          },
          http: defaultHttp({ allowPrivate: this.allowPrivate }),
          businessId: ctx.businessId,
        }),
        new Promise<CheckResult>((resolve) => {
          timer = setTimeout(() => resolve({ ok: false, error: `No answer within ${CHECK_TIMEOUT_MS / 1000} s` }), CHECK_TIMEOUT_MS);
        }),
      ]);
    } catch (e) {
      result = { ok: false, error: e instanceof Error ? e.message : String(e) };
    } finally {
      clearTimeout(timer);
    }
    if (!result.ok) result = { ok: false, error: scrubSecrets(result.error, secrets).slice(0, 500) };
    else if (result.detail) result = { ok: true, detail: scrubSecrets(result.detail, secrets) };
    if (i && !proposed)
      await this.recordOutcome(ctx.businessId, connectorId, result.ok ? { ok: true } : { ok: false, error: `Connection test: ${result.error}` }, true);
    return result;
  }

  // ---------------------------------------------------------------- parked messages

  async parked(ctx: Ctx, connectorId: string): Promise<ParkedMessage[]> {
    this.def(connectorId);
    return (await this.bus.parked(consumerName(connectorId))).filter((p) => p.envelope.businessId === ctx.businessId);
  }

  async replayParked(ctx: Ctx, connectorId: string, messageId: string): Promise<void> {
    const mine = (await this.parked(ctx, connectorId)).some((p) => p.envelope.id === messageId);
    if (!mine || !(await this.bus.replayParked(consumerName(connectorId), messageId))) throw notFound('Parked message', 'parked_message_not_found');
    await this.audit.recordAlone(ctx, { action: 'integration.message_replayed', targetType: 'integration', targetId: connectorId, after: { messageId } });
  }

  // ---------------------------------------------------------------- for the runtime

  private invalidate(businessId: string, connectorId: string): void {
    this.cache.delete(`${businessId}\u0000${connectorId}`);
  }

  /** The decrypted config of an enabled installation (cached a few seconds), or undefined. */
  async activeConfig(businessId: string, connectorId: string): Promise<Record<string, unknown> | undefined> {
    const key = `${businessId}\u0000${connectorId}`;
    const hit = this.cache.get(key);
    if (hit && Date.now() - hit.at < CONFIG_CACHE_MS) return hit.config;
    const i = await this.db.manager.getRepository(IntegrationInstallation).findOneBy({ businessId, connectorId });
    const def = this.defs.get(connectorId);
    let config: Record<string, unknown> | undefined;
    if (i?.enabled && def) {
      const parsed = def.configSchema.safeParse(this.open(i.config ?? {}));
      if (parsed.success) config = parsed.data as Record<string, unknown>;
      else this.log.warn({ connector: connectorId, businessId }, 'stored connector config no longer valid; messages ignored until it is fixed');
    }
    this.cache.set(key, { config, at: Date.now() });
    return config;
  }

  /** Last success / last error of an installation (successes written at most every few seconds). */
  async recordOutcome(businessId: string, connectorId: string, r: { ok: true } | { ok: false; error: string }, force = false): Promise<void> {
    const key = `${businessId}\u0000${connectorId}`;
    const repo = this.db.manager.getRepository(IntegrationInstallation);
    if (r.ok) {
      const last = this.successWritten.get(key) ?? 0;
      if (!force && Date.now() - last < SUCCESS_WRITE_EVERY_MS) return;
      this.successWritten.set(key, Date.now());
      await repo.update({ businessId, connectorId }, { lastSuccessAt: new Date() });
    } else {
      this.successWritten.delete(key);
      await repo.update({ businessId, connectorId }, { lastErrorAt: new Date(), lastError: r.error.slice(0, 500) });
    }
  }

  /** Forgets dedupe records older than a week (redeliveries come within minutes to hours). */
  async purgeProcessed(olderThanMs = 7 * 24 * 3600_000): Promise<number> {
    const r = await this.db.manager.getRepository(ProcessedMessage).delete({ processedAt: LessThan(new Date(Date.now() - olderThanMs)) });
    return r.affected ?? 0;
  }
}
