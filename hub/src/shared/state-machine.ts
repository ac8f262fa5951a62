import { Problem } from './errors';

/** A state machine as data: for each state, the states it may move to. */
export type Transitions<S extends string> = Record<S, readonly S[]>;

export function assertTransition<S extends string>(machine: Transitions<S>, what: string, from: S, to: S): void {
  if (from === to) return;
  if (!machine[from]?.includes(to)) {
    throw new Problem(409, 'invalid_state_transition', `A ${what} cannot go from ${from} to ${to}`, undefined, { from, to });
  }
}
