/*
 * Pieces of SQL one module hands another (segment filters): shared types, so modules that build
 * conditions over their own tables need not import the module that composes them.
 */

/** A piece of SQL with its named parameters (TypeORM style: `:name`, `:...list`). */
export interface SqlCondition {
  sql: string;
  params: Record<string, unknown>;
}

/** SQL expressions of the outer row a subquery correlates with (e.g. `g.id`, `g.businessId`). */
export interface RowRef {
  id: string;
  businessId: string;
}
