#!/usr/bin/env node
// `npm run build`: compiles the SDK, the connectors and the hub to JavaScript (each package's
// tsconfig.build.json, in dependency order), copies the hub's non-TypeScript assets beside the
// output and builds the admin console. Production runs the result with plain `node`, no TypeScript
// hook: `node hub/dist/main.js` (or `loyalty-hub`, which picks dist/ where the sources are absent).
// Usage: node scripts/build.js [--no-admin]
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync, spawn } = require('node:child_process');

const ROOT = path.resolve(__dirname, '..');
const TSC = require.resolve('typescript/bin/tsc', { paths: [ROOT] });
// Dependency order: the connectors compile against the SDK's dist/ types, the hub against both.
const PACKAGES = ['connectors/sdk', 'connectors/webhooks', 'connectors/rkeeper', 'connectors/acme-crm', 'hub'];

/** Copies every file under src/ that tsc does not emit (e.g. the registration page's script). */
function copyAssets(dir) {
  const src = path.join(ROOT, dir, 'src');
  const out = path.join(ROOT, dir, 'dist');
  const walk = (d) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (!/\.(ts|tsx)$/.test(e.name)) {
        const to = path.join(out, path.relative(src, p));
        fs.mkdirSync(path.dirname(to), { recursive: true });
        fs.copyFileSync(p, to);
      }
    }
  };
  walk(src);
}

/** Compiles one package into a clean dist/ (a file deleted from src/ must not linger in the build). */
function build(dir) {
  const started = Date.now();
  fs.rmSync(path.join(ROOT, dir, 'dist'), { recursive: true, force: true });
  return new Promise((resolve, reject) => {
    const c = spawn(process.execPath, [TSC, '-p', path.join(ROOT, dir, 'tsconfig.build.json')], { stdio: 'inherit', cwd: path.join(ROOT, dir) });
    c.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`tsc failed for ${dir}`));
      copyAssets(dir);
      process.stdout.write(`built ${dir}/dist in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
      resolve();
    });
  });
}

async function run() {
  // The connectors compile against the SDK's dist/ types (and not each other): they build together.
  await build(PACKAGES[0]);
  await Promise.all(PACKAGES.slice(1, -1).map(build));
  await build(PACKAGES[PACKAGES.length - 1]);
  if (!process.argv.includes('--no-admin')) {
    execFileSync(process.execPath, [path.join(ROOT, 'scripts/ensure-admin.js')], { stdio: 'inherit', cwd: ROOT });
  }
}
run().catch((e) => {
  process.stderr.write(`${e.message}\n`);
  process.exit(1);
});
