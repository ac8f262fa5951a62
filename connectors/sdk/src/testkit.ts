import { randomUUID } from 'node:crypto';
import express, { type Express } from 'express';
import type { z } from 'zod';
import type { Envelope } from './contracts/envelope';
import type { EventData, EventType } from './contracts/events';
import { CommandError, commandSchemas, isCommandType, type CommandInput, type CommandReply, type CommandType } from './contracts/commands';
import type { BackgroundTask, CheckResult, ConnectorDefinition, ConnectorLogger, ConnectorServices } from './connector';
import { isPermanentError } from './errors';
import {
  captureRawBody,
  createDispatcher,
  defaultHttp,
  handlerContext,
  MemoryKeyValueStore,
  MemoryProcessedStore,
  type DispatchResult,
  type RuntimeDeps,
} from './runtime';

/** One captured log line. */
export interface LogLine {
  level: 'debug' | 'info' | 'warn' | 'error';
  obj: unknown;
  msg?: string;
}

/** A logger that keeps what is logged in memory. */
export function memoryLogger(lines: LogLine[] = []): ConnectorLogger & { lines: LogLine[] } {
  const at =
    (level: LogLine['level']) =>
    (obj: object | string, msg?: string): void =>
      void lines.push({ level, obj, msg });
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** Host services for tests: a reversible (not secret!) sealer, the real clock unless given one, a memory logger. */
export function testServices(overrides: Partial<ConnectorServices> = {}): ConnectorServices {
  return {
    secrets: { seal: (s) => `test:${Buffer.from(s).toString('base64')}`, open: (s) => Buffer.from(s.replace(/^test:/, ''), 'base64').toString('utf8') },
    settings: {},
    now: () => new Date(),
    log: memoryLogger(),
    ...overrides,
  };
}

/** An HTTP request a handler sent through `ctx.http` (reply stubbed with nock). */
export interface CapturedRequest {
  method: string;
  url: string;
  headers: Record<string, unknown>;
  data: unknown;
  status?: number;
}

/** What `emit` tells: the runtime's outcome, or the failure the bus would retry (`failed`) or park (`parked`). */
export type EmitResult = { status: DispatchResult } | { status: 'failed' | 'parked'; error: string };

export interface RunOptions<C> {
  /** The installation config (validated by the connector's schema). */
  config: C;
  businessId?: string;
  /** Host services handed to `start()` (default {@link testServices}). */
  services?: ConnectorServices;
  /** Run the connector's background task (`start`) too. */
  start?: boolean;
}

/**
 * The memory hub's command side. Like the real hub it refuses a command type the contract does not
 * know and a request that fails the contract (`CommandError` 400 `validation_failed`), so a test
 * cannot pass with a call production would refuse.
 */
export interface CommandStub {
  /**
   * Answers command `type` with `fn(data)` (data already validated against the contract; throw a
   * `CommandError` to refuse). A command without a stub rejects with 503 `no_command_server`.
   */
  on<K extends CommandType>(type: K, fn: (data: CommandInput<K>) => CommandReply<K> | Promise<CommandReply<K>>): void;
  calls: { type: string; data: unknown; businessId: string }[];
}

export interface ConnectorRun<C> {
  businessId: string;
  /** Publishes an event as the hub would and runs it through the connector. */
  emit<T extends EventType>(type: T, data: EventData<T>, opts?: { id?: string; businessId?: string }): Promise<EmitResult & { envelope: Envelope }>;
  /** Delivers an envelope as is (e.g. the same one twice, to test idempotency). */
  deliver(envelope: Envelope): Promise<EmitResult>;
  commands: CommandStub;
  /** Every request sent through `ctx.http`, in order. */
  requests: CapturedRequest[];
  /** Everything the connector logged (after secret scrubbing). */
  logs: LogLine[];
  store: MemoryKeyValueStore;
  /** Outcomes the runtime reported (last success / last error in the console). */
  outcomes: { ok: boolean; error?: string; permanent?: boolean }[];
  /** An express app serving the connector's inbound router at `/connectors/<id>/` (use with supertest). */
  app: Express;
  check(config?: C): Promise<CheckResult>;
  setConfig(config: C): void;
  /** Uninstalls for the business: later messages are ignored. */
  uninstall(): void;
  close(): Promise<void>;
}

/**
 * Runs a connector against a memory hub — no database, no broker — for integrators' tests.
 *
 * @example
 * nock('https://api.acme.test').put('/contacts/g1', { phone: '+79990000001' }).reply(200, {});
 * const run = await runConnector(connector, { config: { baseUrl: 'https://api.acme.test', apiKey: 'sk_test_123456789' } });
 * const r = await run.emit('guest.registered', { guestId: 'g1', phone: '+79990000001', name: null, source: null });
 * expect(r.status).toBe('handled');
 * expect(run.requests[0]).toMatchObject({ method: 'PUT', url: 'https://api.acme.test/contacts/g1' });
 */
export async function runConnector<S extends z.ZodObject>(def: ConnectorDefinition<S>, opts: RunOptions<z.input<S>>): Promise<ConnectorRun<z.input<S>>> {
  const businessId = opts.businessId ?? 'test-business';
  const log = memoryLogger();
  let config: Record<string, unknown> | undefined = def.configSchema.parse(opts.config) as Record<string, unknown>;
  const requests: CapturedRequest[] = [];
  const stores = new Map<string, MemoryKeyValueStore>();
  const storeOf = (b: string) => {
    let s = stores.get(b);
    if (!s) stores.set(b, (s = new MemoryKeyValueStore()));
    return s;
  };
  const handlers = new Map<string, (data: unknown) => unknown>();
  const calls: CommandStub['calls'] = [];
  const outcomes: ConnectorRun<unknown>['outcomes'] = [];
  const http = () => {
    const ax = defaultHttp();
    ax.interceptors.request.use((c) => {
      const entry: CapturedRequest = {
        method: String(c.method ?? 'get').toUpperCase(),
        url: ax.getUri(c),
        headers: { ...(c.headers as object) },
        data: typeof c.data === 'string' ? safeJson(c.data) : c.data,
      };
      requests.push(entry);
      (c as { _captured?: CapturedRequest })._captured = entry;
      return c;
    });
    ax.interceptors.response.use(
      (r) => {
        const e = (r.config as { _captured?: CapturedRequest })._captured;
        if (e) e.status = r.status;
        return r;
      },
      (err) => {
        const e = err?.config?._captured as CapturedRequest | undefined;
        if (e && err.response) e.status = err.response.status;
        return Promise.reject(err);
      },
    );
    return ax;
  };
  const deps: RuntimeDeps = {
    installation: async (b) => (b === businessId ? config : undefined),
    processed: new MemoryProcessedStore(),
    store: storeOf,
    log,
    http,
    hub: (b) => ({
      async request(type, data) {
        calls.push({ type, data, businessId: b });
        if (!isCommandType(type)) throw new CommandError('unknown_command', `Unknown command ${String(type)}`, 400);
        const parsed = commandSchemas[type].request.safeParse(JSON.parse(JSON.stringify(data ?? null)));
        if (!parsed.success) {
          const errors = parsed.error.issues.map((i) => ({ field: i.path.map(String).join('.') || 'data', message: i.message }));
          throw new CommandError('validation_failed', `The request is not valid: ${errors.map((e) => e.field).join(', ')}`, 400, { errors });
        }
        const fn = handlers.get(type);
        if (!fn) throw new CommandError('no_command_server', `No stub answers ${type} (runConnector(...).commands.on('${type}', …))`, 503);
        try {
          return JSON.parse(JSON.stringify((await fn(parsed.data)) ?? null));
        } catch (e) {
          if (e instanceof CommandError) throw e;
          const err = e as { code?: string; message?: string; status?: number };
          throw new CommandError(err.code ?? 'command_failed', err.message ?? 'Command failed', err.status ?? 500);
        }
      },
    }),
    outcome: (_b, r) => void outcomes.push(r),
  };
  const dispatch = createDispatcher(def as unknown as ConnectorDefinition, deps);
  const deliver = async (envelope: Envelope): Promise<EmitResult> => {
    try {
      return { status: await dispatch(JSON.parse(JSON.stringify(envelope)) as Envelope) };
    } catch (e) {
      return { status: isPermanentError(e) ? 'parked' : 'failed', error: e instanceof Error ? e.message : String(e) };
    }
  };
  const app = express();
  if (def.inbound) {
    app.use(
      `/connectors/${def.manifest.id}`,
      captureRawBody(),
      def.inbound({
        log,
        forBusiness: async (b) => (b === businessId && config ? handlerContext(def as unknown as ConnectorDefinition, deps, b, config) : undefined),
      }),
    );
  }
  let task: BackgroundTask | undefined;
  if (opts.start && def.start) task = await def.start(opts.services ?? testServices({ log }));
  return {
    businessId,
    async emit(type, data, o = {}) {
      const envelope: Envelope = { id: o.id ?? randomUUID(), type, businessId: o.businessId ?? businessId, occurredAt: new Date().toISOString(), data };
      return { ...(await deliver(envelope)), envelope };
    },
    deliver,
    commands: {
      on: (type, fn) => {
        if (!isCommandType(type)) throw new Error(`Unknown command ${String(type)}: the contract (contracts/commands.ts) has ${Object.keys(commandSchemas).join(', ')}`);
        handlers.set(type, fn as (data: unknown) => unknown);
      },
      calls,
    },
    requests,
    logs: log.lines,
    get store() {
      return storeOf(businessId);
    },
    outcomes,
    app,
    async check(c) {
      if (!def.check) return { ok: true, detail: 'This connector has no connection check' };
      const parsed = def.configSchema.parse(c ?? config ?? opts.config) as z.output<S>;
      return def.check(parsed, { log, http: http(), businessId });
    },
    setConfig(c) {
      config = def.configSchema.parse(c) as Record<string, unknown>;
    },
    uninstall() {
      config = undefined;
    },
    async close() {
      await task?.stop();
    },
  };
}

function safeJson(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return s;
  }
}
