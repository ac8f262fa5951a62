#!/usr/bin/env node
/* global setTimeout */
// `loyalty-connector <id>`: runs one connector as its own worker (see src/modules/integrations/worker.ts).
const fs = require('node:fs');
const path = require('node:path');
// Sources in the repository (swc hook), compiled dist/ in a release (see bin/hub.js).
const fromSource = fs.existsSync(path.join(__dirname, '../src/modules/integrations/worker.ts'));
if (fromSource) require('./register');
const id = process.argv[2];
if (!id || id === '--help' || id === '-h') {
  process.stderr.write('Usage: loyalty-connector <id>\n  Env: AMQP_URL, DATABASE_URL, HUB_SECRET (same as the hub), CONNECTOR_PATHS (a package outside the repo), PORT (inbound routes, default 8080)\n');
  process.exit(id ? 0 : 2);
}
const { startConnectorWorker } = require(fromSource ? '../src/modules/integrations/worker' : '../dist/modules/integrations/worker');
startConnectorWorker({ id })
  .then((w) => {
    let stopping = false;
    const stop = (sig) => {
      if (stopping) return;
      stopping = true;
      const t = setTimeout(() => process.exit(1), 15000);
      t.unref();
      w.stop().then(
        () => process.exit(0),
        () => process.exit(1),
      );
      process.stderr.write(`loyalty-connector ${id}: ${sig}, stopping\n`);
    };
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGTERM', () => stop('SIGTERM'));
  })
  .catch((e) => {
    process.stderr.write(`loyalty-connector ${id} failed to start: ${e && e.message ? e.message : String(e)}\n`);
    process.exit(1);
  });
