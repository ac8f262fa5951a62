import type { EntityManager } from 'typeorm';
import type { Db } from '../db/db';
import type { Ctx } from './context';

/** Runs fn in the caller's transaction when it has one, else in a new one. */
export function inTx<T>(db: Db, ctx: Ctx, fn: (tx: EntityManager) => Promise<T>): Promise<T> {
  return ctx.tx ? fn(ctx.tx) : db.transaction(fn);
}
