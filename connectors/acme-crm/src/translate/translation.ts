/** What a translator answers: a value, a reason to ignore the input, or a reason to refuse it. */
export type Translation<T> = { kind: 'ok'; value: T } | { kind: 'ignored'; reason: string } | { kind: 'rejected'; reason: string };

export const ok = <T>(value: T): Translation<T> => ({ kind: 'ok', value });
export const ignored = (reason: string): Translation<never> => ({ kind: 'ignored', reason });
export const rejected = (reason: string): Translation<never> => ({ kind: 'rejected', reason });
