import { isPermanentError, topicMatches, type Envelope } from '@loyalty/sdk';
import { Bus, BusHealth, BusTimeoutError, CommandError, NoCommandServerError, CommandHandler, DEFAULT_RETRY_DELAYS_MS, Handler, ParkedMessage, SubscribeOptions } from './bus';

interface Consumer {
  name: string;
  patterns: string[];
  handler: Handler;
  delays: number[];
}

/** In-process bus for embedded mode and tests: same routing, retry and park semantics as RabbitMQ. */
export class MemoryBus implements Bus {
  readonly kind = 'memory' as const;
  private consumers = new Map<string, Consumer>();
  private commandHandler?: CommandHandler;
  private dead: ParkedMessage[] = [];
  private timers = new Set<NodeJS.Timeout>();
  private inflight = new Set<Promise<void>>();
  private closed = false;

  async start(): Promise<void> {}

  async publish(msg: Envelope): Promise<void> {
    if (this.closed) throw new Error('Bus is closed');
    for (const c of this.consumers.values()) {
      if (c.patterns.some((p) => topicMatches(p, msg.type))) this.deliver(c, structuredClone(msg), 1);
    }
  }

  private deliver(c: Consumer, msg: Envelope, attempt: number): void {
    const p = (async () => {
      await new Promise((r) => setImmediate(r));
      if (this.closed) return;
      try {
        await c.handler(msg);
      } catch (e) {
        // A PermanentError (SDK) skips the remaining retries: parked at once.
        const delay = isPermanentError(e) ? undefined : c.delays[attempt - 1];
        if (delay === undefined) {
          this.dead.push({
            consumer: c.name,
            envelope: msg,
            error: e instanceof Error ? e.message : String(e),
            attempts: attempt,
            parkedAt: new Date().toISOString(),
          });
          return;
        }
        const t = setTimeout(() => {
          this.timers.delete(t);
          this.deliver(c, msg, attempt + 1);
        }, delay);
        t.unref?.();
        this.timers.add(t);
      }
    })();
    this.inflight.add(p);
    void p.finally(() => this.inflight.delete(p));
  }

  async subscribe(consumer: string, patterns: string[], handler: Handler, opts: SubscribeOptions = {}): Promise<void> {
    this.consumers.set(consumer, { name: consumer, patterns, handler, delays: opts.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS });
  }

  async request<T>(msg: Envelope, timeoutMs = 5000): Promise<T> {
    const h = this.commandHandler;
    if (!h) throw new NoCommandServerError(msg.type);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, rej) => {
      timer = setTimeout(() => rej(new BusTimeoutError(msg.type, timeoutMs)), timeoutMs);
    });
    try {
      // Round-trip through JSON like a real broker would, so nothing non-serializable leaks through.
      const reply = await Promise.race([h(JSON.parse(JSON.stringify(msg)) as Envelope), timeout]);
      return JSON.parse(JSON.stringify(reply ?? null)) as T;
    } catch (e) {
      if (e instanceof BusTimeoutError) throw e;
      // Round-trip like the RabbitMQ bus: the caller gets a fresh CommandError, never the server's object.
      const err = e as { code?: string; message?: string; status?: number; details?: Record<string, unknown> };
      const details = err.details === undefined ? undefined : (JSON.parse(JSON.stringify(err.details)) as Record<string, unknown>);
      throw new CommandError(err.code ?? 'command_failed', err.message ?? 'Command failed', err.status ?? 500, details);
    } finally {
      clearTimeout(timer);
    }
  }

  async serveCommands(handler: CommandHandler): Promise<void> {
    this.commandHandler = handler;
  }

  async parked(consumer?: string): Promise<ParkedMessage[]> {
    return this.dead.filter((d) => !consumer || d.consumer === consumer);
  }

  async replayParked(consumer: string, messageId: string): Promise<boolean> {
    const i = this.dead.findIndex((d) => d.consumer === consumer && d.envelope.id === messageId);
    const c = this.consumers.get(consumer);
    if (i < 0 || !c) return false;
    const [d] = this.dead.splice(i, 1);
    this.deliver(c, d!.envelope, 1);
    return true;
  }

  /** Waits until no delivery is running (tests). */
  async drain(): Promise<void> {
    while (this.inflight.size) await Promise.all([...this.inflight]);
  }

  health(): BusHealth {
    return { ok: !this.closed, kind: 'memory' };
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    await Promise.allSettled([...this.inflight]);
  }
}
