#!/usr/bin/env node
// Builds the admin console (admin/dist) when it is missing or older than its sources, so
// `npm start` and `npm test` always serve the console that matches admin/src.
// Usage: node scripts/ensure-admin.js [--force]
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const ADMIN = path.resolve(__dirname, '..', 'admin');
const BUILT = path.join(ADMIN, 'dist', 'index.html');
const INPUTS = ['src', 'public', 'index.html', 'vite.config.mts', 'package.json', 'tsconfig.json'];

/** Newest modification time among the files under `p` (0 when it does not exist). */
function newest(p) {
  let st;
  try {
    st = fs.statSync(p);
  } catch {
    return 0;
  }
  if (!st.isDirectory()) return st.mtimeMs;
  let max = st.mtimeMs; // a deleted file changes its directory's mtime
  for (const name of fs.readdirSync(p)) max = Math.max(max, newest(path.join(p, name)));
  return max;
}

/** Why a build is needed, or undefined when admin/dist is up to date. */
function staleReason() {
  let built;
  try {
    built = fs.statSync(BUILT).mtimeMs;
  } catch {
    return 'admin/dist is missing';
  }
  const src = Math.max(...INPUTS.map((i) => newest(path.join(ADMIN, i))));
  return src > built ? 'admin/src changed since the last build' : undefined;
}

function viteBin() {
  try {
    const pkg = require.resolve('vite/package.json', { paths: [ADMIN] });
    return path.join(path.dirname(pkg), require(pkg).bin.vite);
  } catch {
    return undefined;
  }
}

/** Returns true when admin/dist is ready; builds it when needed. Throws when a needed build fails. */
function ensureAdmin({ force = false, log = (m) => process.stderr.write(`${m}\n`) } = {}) {
  const reason = force ? 'forced' : staleReason();
  if (!reason) return true;
  const vite = viteBin();
  if (!vite) {
    if (fs.existsSync(BUILT)) {
      log(`[admin] ${reason}, but vite is not installed (dev dependencies omitted?): serving the existing build.`);
      return true;
    }
    throw new Error('[admin] admin/dist is missing and vite is not installed: run `npm install` (with dev dependencies), then `npm run build:admin`.');
  }
  log(`[admin] ${reason}: building the console…`);
  const started = Date.now();
  const r = spawnSync(process.execPath, [vite, 'build', '--logLevel', 'warn'], {
    cwd: ADMIN,
    stdio: 'inherit',
    env: { ...process.env, NODE_ENV: 'production' },
  });
  if (r.status !== 0) throw new Error(`[admin] the console build failed (vite exited with ${r.status ?? r.signal})`);
  log(`[admin] built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return true;
}

module.exports = { ensureAdmin, staleReason };

if (require.main === module) {
  try {
    ensureAdmin({ force: process.argv.includes('--force') });
  } catch (e) {
    process.stderr.write(`${e.message}\n`);
    process.exit(1);
  }
}
