#!/usr/bin/env node
// `npm run bench -- <name> [options]`: runs the exported `main(argv)` of bench/<name>.ts (compiled
// in memory by the same swc hook that runs the hub). Each bench prints one JSON line per measure
// on stdout and writes them to bench-results/<name>.jsonl (DESIGN §9).
const fs = require('node:fs');
const path = require('node:path');

const benchDir = path.resolve(__dirname, '..', 'bench');
const available = () =>
  fs
    .readdirSync(benchDir)
    .filter((f) => f.endsWith('.ts') && f !== 'lib.ts' && !f.endsWith('.d.ts'))
    .map((f) => f.slice(0, -3))
    .sort();

const [name, ...argv] = process.argv.slice(2);
if (!name || name.startsWith('-')) {
  process.stderr.write(`Usage: npm run bench -- <name> [options]\nBenches: ${available().join(', ')}\n`);
  process.exit(2);
}
if (!/^[a-z0-9][a-z0-9_-]*$/i.test(name) || !available().includes(name)) {
  process.stderr.write(`Unknown bench "${name}". Benches: ${available().join(', ')}\n`);
  process.exit(2);
}

require('../hub/bin/register');
const mod = require(path.join(benchDir, `${name}.ts`));
if (typeof mod.main !== 'function') {
  process.stderr.write(`bench/${name}.ts exports no main(argv)\n`);
  process.exit(2);
}
Promise.resolve()
  .then(() => mod.main(argv))
  .then(
    (code) => {
      process.exitCode = typeof code === 'number' ? code : 0;
    },
    (e) => {
      process.stderr.write(`bench ${name} failed: ${e && e.stack ? e.stack : String(e)}\n`);
      process.exitCode = 1;
    },
  );
