import { randomUUID } from 'node:crypto';
import type { Channel, ChannelModel, ConsumeMessage } from 'amqplib';
import type { Envelope } from '@loyalty/sdk';
import { BusTimeoutError, CommandError, NoCommandServerError, type CommandHandler } from './bus';
import type { RabbitConnection } from './rabbit-connection';
import { JSON_TYPE, REPLY_TO } from './rabbit-topology';
import { errorText, fromWireError, settle, toWireError, type WireError } from './rabbit-wire';

interface PendingRequest {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
  type: string;
  timeoutMs: number;
}

/**
 * Commands as RPC: requests go to the `<ns>.commands` queue with a deadline (`expiration`), replies
 * come back on direct reply-to; a hub that serves commands consumes that queue.
 */
export class RabbitCommands {
  /** The reply channel of the current connection (requests are published on it). */
  private rpc?: Channel;
  private serverSeenUntil = 0;
  private cmdCh?: Channel;
  private cmdTag?: string;
  private handler?: CommandHandler;
  private readonly pending = new Map<string, PendingRequest>();

  constructor(private readonly core: RabbitConnection) {}

  /** Opens the reply channel of a new connection (installed with `useReplies` once the setup reaches it). */
  async openReplies(conn: ChannelModel): Promise<Channel> {
    const rpc = await conn.createChannel();
    this.core.watch(conn, rpc, 'rpc');
    // Direct reply-to: the consumer must exist on the channel before any request is published on it.
    await rpc.consume(REPLY_TO, (m) => this.onReply(m), { noAck: true });
    return rpc;
  }

  useReplies(rpc: Channel): void {
    this.rpc = rpc;
  }

  /** Serves commands again on a new connection, when this hub serves them. */
  async resume(conn: ChannelModel): Promise<void> {
    if (this.handler) await this.startServer(conn);
  }

  /** The connection is gone, and the reply and command channels with it. */
  drop(): void {
    this.rpc = undefined;
    this.cmdCh = undefined;
    this.cmdTag = undefined;
  }

  async request<T = unknown>(msg: Envelope, timeoutMs = 5000): Promise<T> {
    const core = this.core;
    if (core.closing) throw new Error('Bus is closed');
    const correlationId = randomUUID();
    const deadline = Date.now() + timeoutMs;
    const result = new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(correlationId);
        reject(new BusTimeoutError(msg.type, timeoutMs));
      }, timeoutMs);
      this.pending.set(correlationId, { resolve, reject, timer, type: msg.type, timeoutMs });
    });
    void (async () => {
      // During an outage, wait for the connection within the deadline; if it never comes, the timer answers.
      if (!this.rpc && !(await core.waitUp(deadline - Date.now()))) return;
      if (!(await this.serverSeen())) {
        const p = this.pending.get(correlationId);
        if (!p) return;
        this.pending.delete(correlationId);
        clearTimeout(p.timer);
        return p.reject(new NoCommandServerError(msg.type));
      }
      const remaining = deadline - Date.now();
      if (!this.rpc || remaining <= 0 || !this.pending.has(correlationId)) return;
      this.rpc.publish('', core.names.commands, Buffer.from(JSON.stringify(msg)), {
        correlationId,
        replyTo: REPLY_TO,
        // A command nobody picked up before the caller gave up is dropped, not executed late.
        expiration: String(Math.max(1, Math.ceil(remaining))),
        contentType: JSON_TYPE,
        messageId: msg.id,
        type: msg.type,
      });
    })().catch((e) => core.log.warn({ err: errorText(e), type: msg.type }, 'bus could not send a command'));
    return (await result) as T;
  }

  /**
   * Whether some process consumes the commands queue: a caller is told at once that nothing serves
   * commands instead of waiting for its deadline. A positive answer is trusted for a few seconds.
   */
  private async serverSeen(): Promise<boolean> {
    if (this.handler && this.cmdCh) return true;
    if (Date.now() < this.serverSeenUntil) return true;
    const ch = this.rpc;
    if (!ch) return true; // the deadline answers
    try {
      const q = await ch.checkQueue(this.core.names.commands);
      if (q.consumerCount > 0) this.serverSeenUntil = Date.now() + 5_000;
      return q.consumerCount > 0;
    } catch {
      return true; // unknown: let the deadline answer
    }
  }

  private onReply(m: ConsumeMessage | null): void {
    if (!m) return;
    const id = m.properties.correlationId as string | undefined;
    const p = id ? this.pending.get(id) : undefined;
    if (!p || !id) return; // late reply after the deadline
    this.pending.delete(id);
    clearTimeout(p.timer);
    let body: { ok?: boolean; result?: unknown; error?: WireError };
    try {
      body = JSON.parse(m.content.toString('utf8'));
    } catch {
      return p.reject(new CommandError('command_failed', 'Unreadable command reply', 500));
    }
    if (body.ok) p.resolve(body.result ?? null);
    else p.reject(fromWireError(body.error ?? {}, p.type, p.timeoutMs));
  }

  async serve(handler: CommandHandler): Promise<void> {
    const core = this.core;
    if (core.closing) throw new Error('Bus is closed');
    const first = !this.handler;
    this.handler = handler; // a later call just swaps the handler
    const conn = core.conn;
    if (!first || core.state !== 'up' || !conn || this.cmdCh) return;
    await this.startServer(conn).catch((e) => {
      if (core.conn === conn && core.state === 'up') throw e;
    });
  }

  private async startServer(conn: ChannelModel): Promise<void> {
    const core = this.core;
    const ch = await conn.createChannel();
    core.watch(conn, ch, 'commands');
    await ch.prefetch(core.opts.commandPrefetch);
    const { consumerTag } = await ch.consume(core.names.commands, (m) => {
      if (!m) return core.onServerCancel(conn, 'commands');
      if (core.closing) return;
      core.track(this.handle(ch, m));
    });
    this.cmdCh = ch;
    this.cmdTag = consumerTag;
  }

  private async handle(ch: Channel, m: ConsumeMessage): Promise<void> {
    let reply: string;
    try {
      const env = JSON.parse(m.content.toString('utf8')) as Envelope;
      const result = await this.handler!(env);
      reply = JSON.stringify({ ok: true, result: result ?? null });
    } catch (e) {
      reply = JSON.stringify({ ok: false, error: toWireError(e) });
    }
    const { replyTo, correlationId } = m.properties;
    if (replyTo) {
      try {
        ch.sendToQueue(replyTo as string, Buffer.from(reply), { correlationId, contentType: JSON_TYPE });
      } catch {
        // Channel gone: the caller times out; the command is redelivered unless it expired.
      }
    }
    settle(ch, m, true);
  }

  /** close(): stop serving (running commands still reply and ack). */
  cancelServer(): Promise<unknown>[] {
    return this.cmdCh && this.cmdTag ? [this.cmdCh.cancel(this.cmdTag)] : [];
  }

  /** close(): callers still waiting are told the bus closed. */
  rejectPending(): void {
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new Error('Bus is closed'));
      this.pending.delete(id);
    }
  }

  /** The command and reply channels still open (closed by close() before the connection). */
  channels(): Channel[] {
    return [this.cmdCh, this.rpc].filter((c): c is Channel => !!c);
  }
}
