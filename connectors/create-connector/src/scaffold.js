// @ts-check
// Plain JavaScript so that `npx @loyalty/create-connector` runs with node alone, before any build.
const fs = require('node:fs');
const path = require('node:path');

const ID = /^[a-z][a-z0-9-]{1,38}[a-z0-9]$/;
const TEMPLATE = path.join(__dirname, '..', 'template');
/** The SDK version the templates are written against (the dependency of the generated package). */
const SDK_VERSION = '^0.1.0';

/**
 * Writes a complete connector package for the loyalty hub into `dir` (which must be empty or absent).
 * @param {{ id: string, dir: string, name?: string, sdk?: string, title?: string }} o
 * @returns {{ dir: string, name: string, files: string[] }}
 */
function scaffoldConnector(o) {
  if (!ID.test(o.id)) throw new Error(`"${o.id}" is not a connector id: lower-case letters, digits and dashes, 3-40 characters, starting with a letter`);
  const dir = path.resolve(o.dir);
  if (fs.existsSync(dir) && fs.readdirSync(dir).length) throw new Error(`${dir} is not empty`);
  const name = o.name ?? `loyalty-connector-${o.id}`;
  const words = o.id.split('-');
  const title = o.title ?? words.map((w) => w[0].toUpperCase() + w.slice(1)).join(' ');
  /** @type {Record<string, string>} */
  const vars = {
    __ID__: o.id,
    __NAME__: name,
    __TITLE__: title,
    __PASCAL__: words.map((w) => w[0].toUpperCase() + w.slice(1)).join(''),
    __CAMEL__: words.map((w, i) => (i ? w[0].toUpperCase() + w.slice(1) : w)).join(''),
    __SDK__: o.sdk ?? SDK_VERSION,
  };
  const files = [];
  /** @param {string} from @param {string} to */
  const walk = (from, to) => {
    for (const e of fs.readdirSync(from, { withFileTypes: true })) {
      const src = path.join(from, e.name);
      if (e.isDirectory()) {
        walk(src, path.join(to, e.name));
        continue;
      }
      if (!e.name.endsWith('.tmpl')) continue;
      // Dotfiles and package.json are stored under other names so that npm and tools leave the template alone.
      const outName = e.name.slice(0, -'.tmpl'.length).replace(/^gitignore$/, '.gitignore');
      const dest = path.join(to, outName);
      let text = fs.readFileSync(src, 'utf8');
      for (const [k, v] of Object.entries(vars)) text = text.split(k).join(v);
      fs.mkdirSync(path.dirname(dest), { recursive: true });
      fs.writeFileSync(dest, text);
      files.push(path.relative(dir, dest).split(path.sep).join('/'));
    }
  };
  walk(TEMPLATE, dir);
  return { dir, name, files: files.sort() };
}

module.exports = { scaffoldConnector, SDK_VERSION };
