/**
 * A fixed-window counter per key (an IP address) kept in this process: enough for unauthenticated
 * routes that should never see more than a trickle (each instance of a scaled-out hub counts on its
 * own, so the effective limit is per instance). The map is bounded: when it grows past `maxKeys`
 * the oldest windows are dropped first.
 */
export class WindowLimiter {
  private readonly windows = new Map<string, { start: number; count: number }>();

  constructor(
    private readonly o: { max: number; windowMs: number; maxKeys?: number },
    private readonly now: () => number = Date.now,
  ) {}

  /** Counts one request for `key`; `ok: false` with the seconds until the window ends when over the limit. */
  hit(key: string): { ok: true } | { ok: false; retryAfterSeconds: number } {
    const t = this.now();
    let w = this.windows.get(key);
    if (!w || t - w.start >= this.o.windowMs) {
      this.windows.delete(key);
      w = { start: t, count: 0 };
      this.windows.set(key, w);
      const cap = this.o.maxKeys ?? 50_000;
      // Insertion order = age: drop the oldest windows past the cap.
      for (const k of this.windows.keys()) {
        if (this.windows.size <= cap) break;
        this.windows.delete(k);
      }
    }
    w.count++;
    if (w.count <= this.o.max) return { ok: true };
    return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((w.start + this.o.windowMs - t) / 1000)) };
  }
}
