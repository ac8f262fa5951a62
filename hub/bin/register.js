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
