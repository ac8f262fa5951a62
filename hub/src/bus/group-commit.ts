/**
 * Group commit for event consumers: a bus delivers messages one handler call at a time (the memory
 * bus all at once, RabbitMQ up to the prefetch), and a consumer that writes a transaction per
 * message pays a BEGIN, its statements and a COMMIT for each. `groupCommit(flush)` returns a
 * per-message handler that queues the message and resolves when a flush that contained it settled:
 * messages that arrive while a flush runs go into the next one, so under load one transaction
 * carries many messages and when idle a lone message is flushed at once (no timer, no added delay).
 *
 * `flush(items)` answers one outcome per item (in order): `undefined` when the item is done, an
 * Error when that item failed. A flush that throws fails every item of its batch; the bus then
 * retries each message on its own schedule, so a consumer should fall back to one message per
 * transaction when a batch fails (one poison message must not fail its neighbours' retries).
 */
export type Outcome = Error | undefined;

interface Waiting<T> {
  item: T;
  resolve(): void;
  reject(e: Error): void;
}

export function groupCommit<T>(flush: (items: T[]) => Promise<Outcome[]>, opts: { maxBatch?: number } = {}): (item: T) => Promise<void> {
  const max = opts.maxBatch ?? 200;
  let queue: Waiting<T>[] = [];
  let running = false;

  const run = async (): Promise<void> => {
    running = true;
    try {
      while (queue.length) {
        const batch = queue.slice(0, max);
        queue = queue.slice(batch.length);
        let outcomes: Outcome[];
        try {
          outcomes = await flush(batch.map((w) => w.item));
        } catch (e) {
          const err = e instanceof Error ? e : new Error(String(e));
          outcomes = batch.map(() => err);
        }
        batch.forEach((w, i) => {
          const o = outcomes[i];
          if (o) w.reject(o);
          else w.resolve();
        });
      }
    } finally {
      running = false;
    }
  };

  return (item: T) =>
    new Promise<void>((resolve, reject) => {
      queue.push({ item, resolve, reject });
      // Started on the next turn so messages delivered in the same tick share the first flush.
      if (!running) {
        running = true;
        setImmediate(() => void run());
      }
    });
}
