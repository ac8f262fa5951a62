import type { MessageKey } from './messages';

/**
 * The message naming who did something. A failed sign-in is recorded by the hub as
 * `guest`/`anonymous` (nobody is signed in yet): it reads «аноним», never «гость» — it is no guest
 * of the business.
 */
export function actorKindKey(type: string, id: string): MessageKey | undefined {
  if (type === 'guest' && id === 'anonymous') return 'audit.actor.anonymous';
  const key = `audit.actorType.${type}`;
  return ['staff', 'terminal', 'guest', 'system'].includes(type) ? (key as MessageKey) : undefined;
}
