// Compiles .ts files on require with swc (same options as the tests), with a small on-disk cache.
const { addHook } = require('pirates');
const { transformSync } = require('@swc/core');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const swc = require('../../swc.config.js');

const cacheDir = path.join(__dirname, '..', '..', 'node_modules', '.cache', 'loyalty-swc');
try {
  fs.mkdirSync(cacheDir, { recursive: true });
} catch {
  /* cache is optional */
}

addHook(
  (code, filename) => {
    const key = crypto.createHash('sha1').update(filename).update(code).digest('hex');
    const file = path.join(cacheDir, key + '.js');
    try {
      return fs.readFileSync(file, 'utf8');
    } catch {
      /* miss */
    }
    const out = transformSync(code, { ...swc, filename, sourceMaps: 'inline' }).code;
    try {
      fs.writeFileSync(file, out);
    } catch {
      /* read-only install */
    }
    return out;
  },
  { exts: ['.ts'], ignoreNodeModules: true },
);

// Workspace packages (@loyalty/sdk) publish compiled JS (`require` -> dist/) and name their
// TypeScript sources under the `@loyalty/source` export condition, which tsc (customConditions) and
// jest (customExportConditions) use. Node 20 cannot add a condition after start, so this process
// prefers that condition for `@loyalty/*` requests itself: running from the repository never needs
// a build, and never runs a stale dist/.
const Module = require('node:module');
const resolveFilename = Module._resolveFilename;
const sources = new Map();
function sourceEntry(request, parent) {
  const m = /^(@loyalty\/[^/]+)(\/.+)?$/.exec(request);
  if (!m) return undefined;
  let pkgFile;
  try {
    pkgFile = resolveFilename.call(Module, `${m[1]}/package.json`, parent, false);
  } catch {
    return undefined;
  }
  const key = `${pkgFile}\0${m[2] || ''}`;
  if (!sources.has(key)) {
    let entry;
    try {
      const exp = JSON.parse(fs.readFileSync(pkgFile, 'utf8')).exports;
      const target = exp && typeof exp === 'object' ? exp[`.${m[2] || ''}`] : undefined;
      const src = target && typeof target === 'object' ? target['@loyalty/source'] : undefined;
      if (typeof src === 'string') entry = path.join(path.dirname(pkgFile), src);
      // A published copy (its own node_modules) ships dist/ only.
      if (entry && !fs.existsSync(entry)) entry = undefined;
    } catch {
      entry = undefined;
    }
    sources.set(key, entry);
  }
  return sources.get(key);
}
Module._resolveFilename = function (request, parent, ...rest) {
  if (typeof request === 'string' && request.startsWith('@loyalty/')) {
    const src = sourceEntry(request, parent);
    if (src) return src;
  }
  return resolveFilename.call(this, request, parent, ...rest);
};
