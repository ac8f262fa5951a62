import cluster, { type Worker } from 'node:cluster';
import os from 'node:os';
import type { Logger } from 'pino';

/** `HUB_WORKERS` as a process count: `auto` is one per core this process may use. */
export function workerCount(setting: string): number {
  return setting === 'auto' ? Math.max(1, os.availableParallelism()) : Number(setting);
}

/**
 * The primary of `HUB_WORKERS=N` (node:cluster): it serves nothing itself. Worker 0 starts first
 * (migrations when MIGRATE_ON_START, the demo seed, the banner); once it listens the others start
 * with SEED_DEMO off and share the port (the primary hands connections round-robin). A worker
 * that dies is replaced; SIGTERM/SIGINT is passed to every worker, and the primary exits when
 * they have drained. Jobs and the outbox relay need no coordination: their lease rows keep each
 * one single across processes, as across hosts.
 */
export async function runPrimary(n: number, log: Logger): Promise<void> {
  let stopping = false;
  const fork = (index: number, first: boolean): Promise<Worker> => {
    const w = cluster.fork({ HUB_WORKER_INDEX: String(index), ...(first ? {} : { SEED_DEMO: 'false', HUB_QUIET: '1' }) });
    w.on('exit', (code, signal) => {
      if (stopping) return;
      log.error({ worker: index, code, signal }, 'hub worker exited; starting a new one');
      setTimeout(() => void fork(index, false), 1000).unref();
    });
    return new Promise((resolve, reject) => {
      w.once('listening', () => resolve(w));
      w.once('exit', (code) => reject(new Error(`hub worker ${index} exited with ${code} before listening`)));
    });
  };
  await fork(0, true);
  await Promise.all(Array.from({ length: n - 1 }, (_, i) => fork(i + 1, false)));
  log.info({ workers: n }, 'hub workers listening');
  const stop = (sig: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    log.info({ sig, workers: Object.keys(cluster.workers ?? {}).length }, 'stopping hub workers');
    const alive = Object.values(cluster.workers ?? {}).filter((w): w is Worker => !!w);
    let left = alive.length;
    if (!left) process.exit(0);
    let failed = false;
    for (const w of alive) {
      w.once('exit', (code) => {
        failed ||= code !== 0;
        if (--left === 0) process.exit(failed ? 1 : 0);
      });
      w.process.kill(sig);
    }
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}
