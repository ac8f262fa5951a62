import fs from 'node:fs';
import path from 'node:path';

export const TABLE_DIR = path.resolve(__dirname, '../../../test-artifacts/reliability');

export interface Row {
  id: string;
  check: string;
  figure: string;
  backend: string;
  held: boolean;
}

/** Records one row of the reliability table (printed by table-reporter.js after the run). */
export function record(row: Row): void {
  fs.mkdirSync(TABLE_DIR, { recursive: true });
  fs.writeFileSync(path.join(TABLE_DIR, `${row.id}.json`), JSON.stringify(row) + '\n');
}

export function dbLabel(): string {
  return process.env.TEST_DATABASE_URL ? 'MariaDB' : 'SQLite';
}
