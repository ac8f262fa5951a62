/**
 * Time for the scheduler: production uses the system clock; tests inject a {@link FakeClock} and
 * move a day forward without sleeping.
 */
export interface Clock {
  now(): Date;
  /** Calls `fn` after `ms` (never keeping the process alive); returns a cancel function. */
  setTimer(fn: () => unknown, ms: number): () => void;
}

export const systemClock: Clock = {
  now: () => new Date(),
  setTimer(fn, ms) {
    const t = setTimeout(fn, ms);
    t.unref();
    return () => clearTimeout(t);
  },
};

/** A clock that moves only when told to; timers fire in time order as it moves. */
export class FakeClock implements Clock {
  private ms: number;
  private timers: { at: number; seq: number; fn: () => unknown }[] = [];
  private seq = 0;

  constructor(start: Date | string | number) {
    this.ms = new Date(start).getTime();
  }

  now(): Date {
    return new Date(this.ms);
  }

  setTimer(fn: () => unknown, ms: number): () => void {
    const t = { at: this.ms + Math.max(0, ms), seq: this.seq++, fn };
    this.timers.push(t);
    return () => {
      this.timers = this.timers.filter((x) => x !== t);
    };
  }

  /** Moves time by `ms`, firing each timer due on the way at its own time and awaiting what it returns. */
  async advance(ms: number): Promise<void> {
    const target = this.ms + ms;
    for (;;) {
      const due = this.timers.filter((t) => t.at <= target).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!due) break;
      this.timers = this.timers.filter((t) => t !== due);
      this.ms = Math.max(this.ms, due.at);
      await due.fn();
    }
    this.ms = target;
  }

  /** Sets the time (forward only) without firing timers. */
  set(to: Date | string): void {
    this.ms = Math.max(this.ms, new Date(to).getTime());
  }
}
