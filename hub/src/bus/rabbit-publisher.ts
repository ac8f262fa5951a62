import type { ChannelModel, ConfirmChannel, Options } from 'amqplib';
import type { Envelope } from '@loyalty/sdk';
import type { RabbitConnection } from './rabbit-connection';
import { JSON_TYPE } from './rabbit-topology';

/** Publishing with publisher confirms: a publish resolves once the broker has the message. */
export class RabbitPublisher {
  /** The confirm channel of the current connection (none while down). */
  ch?: ConfirmChannel;

  constructor(private readonly core: RabbitConnection) {}

  /** Opens the confirm channel of a new connection (installed by the caller once the setup reaches it). */
  async open(conn: ChannelModel): Promise<ConfirmChannel> {
    const pub = await conn.createConfirmChannel();
    this.core.watch(conn, pub, 'publish');
    return pub;
  }

  async publish(msg: Envelope): Promise<void> {
    if (this.core.closing) throw new Error('Bus is closed');
    const body = Buffer.from(JSON.stringify(msg));
    await this.send(
      this.core.names.exchange,
      msg.type,
      body,
      { persistent: true, contentType: JSON_TYPE, messageId: msg.id, type: msg.type, timestamp: Math.floor(Date.now() / 1000) },
      this.core.opts.unavailableWaitMs,
    );
  }

  /** Publishes and waits for the broker's confirm (bounded), waiting up to waitMs for a connection first. */
  async send(exchange: string, routingKey: string, content: Buffer, options: Options.Publish, waitMs: number): Promise<void> {
    if (!this.ch && !(await this.core.waitUp(waitMs))) throw this.core.unavailable();
    const ch = this.ch;
    if (!ch) throw this.core.unavailable();
    const { confirmTimeoutMs } = this.core.opts;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`RabbitMQ did not confirm within ${confirmTimeoutMs} ms`)), confirmTimeoutMs);
      try {
        ch.publish(exchange, routingKey, content, options, (err) => {
          clearTimeout(timer);
          if (err) reject(err instanceof Error ? err : new Error(`Message not confirmed by the broker: ${String(err)}`));
          else resolve();
        });
      } catch (e) {
        clearTimeout(timer);
        reject(e instanceof Error ? e : new Error(String(e)));
      }
    });
  }
}
