#!/usr/bin/env node
// `loyalty-hub [serve|migrate|reset-password <e-mail>]`. In the repository (src/ present) it runs the TypeScript sources,
// compiled in memory by swc, so `npm start` never needs a build and never runs a stale dist/.
// In a release (the image, a deploy made by scripts/build-image-steps.sh: dist/ without src/) it
// runs the compiled JavaScript with plain node, no hook.
const fs = require('node:fs');
const path = require('node:path');

const fromSource = fs.existsSync(path.join(__dirname, '../src/main.ts'));
if (fromSource) require('./register');
const resetPassword = process.argv[2] === 'reset-password';
const entry = require(
  fromSource ? (resetPassword ? '../src/cli/reset-password' : '../src/main') : resetPassword ? '../dist/cli/reset-password' : '../dist/main',
);
const run = resetPassword ? entry.runResetPassword : entry.main;
run(process.argv.slice(resetPassword ? 3 : 2)).catch((e) => {
  process.stderr.write(`Hub failed to start: ${e && e.message ? e.message : String(e)}\n`);
  process.exit(1);
});
