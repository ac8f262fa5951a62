import type { Level, LevelPolicy } from '../programs/programs.schemas';

/*
 * Card levels: the level a card's spend or visits reach, moved up at commit and reviewed
 * periodically (downgrades). Pure functions; the service sums the figures over the policy's window.
 */

/** A guest's figures over the policy's window (see `levelWindowStart`). */
export interface LevelStats {
  /** Spend in minor units (`Decision.spendMinor` summed). */
  spendMinor: number;
  visits: number;
}

/** A level change, for `card.level_changed` events. */
export interface LevelChange {
  from: string | null;
  to: string | null;
  direction: 'up' | 'down' | 'same';
}

/** Start of the window the service sums `LevelStats` over; null for all time. */
export function levelWindowStart(policy: LevelPolicy, now: Date): Date | null {
  return policy.window === 'all_time' ? null : new Date(now.getTime() - policy.window.days * 86_400_000);
}

/** The level a metric reaches: the highest level whose threshold it has reached; null without levels. */
export function levelFor(levels: readonly Level[], policy: LevelPolicy, stats: LevelStats): string | null {
  const value = policy.metric === 'spend' ? stats.spendMinor : stats.visits;
  let best: Level | null = null;
  for (const l of levels) if (value >= l.threshold && (best === null || l.threshold > best.threshold)) best = l;
  return best?.code ?? null;
}

const rank = (levels: readonly Level[], code: string | null): number => {
  const l = code === null ? undefined : levels.find((x) => x.code === code);
  return l === undefined ? -1 : l.threshold;
};

function change(levels: readonly Level[], from: string | null, to: string | null): LevelChange {
  const a = rank(levels, from);
  const b = rank(levels, to);
  return { from, to, direction: b > a ? 'up' : b < a ? 'down' : 'same' };
}

/**
 * Level at commit: a card moves up when its stats reach a higher level and never moves down here
 * (downgrades are periodic). A current code that no longer exists counts as no level.
 */
export function levelAfterCommit(levels: readonly Level[], policy: LevelPolicy, currentCode: string | null, stats: LevelStats): LevelChange {
  const reached = levelFor(levels, policy, stats);
  const current = rank(levels, currentCode) >= 0 ? currentCode : null;
  const to = rank(levels, reached) > rank(levels, current) ? reached : current;
  return change(levels, currentCode, to);
}

/**
 * Level after the periodic check: with `downgrade: 'periodic'` the card takes the level its stats
 * over the window reach (up or down); with `'never'` it only moves up.
 */
export function nextLevelAfterDowngradeCheck(levels: readonly Level[], policy: LevelPolicy, currentCode: string | null, stats: LevelStats): LevelChange {
  if (policy.downgrade === 'never') return levelAfterCommit(levels, policy, currentCode, stats);
  return change(levels, currentCode, levelFor(levels, policy, stats));
}
