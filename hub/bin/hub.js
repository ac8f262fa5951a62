#!/usr/bin/env node
// Runs the hub straight from its TypeScript sources (compiled in memory by swc).
require('./register');
require('../src/main')
  .main()
  .catch((e) => {
    process.stderr.write(`Hub failed to start: ${e && e.message ? e.message : String(e)}\n`);
    process.exit(1);
  });
