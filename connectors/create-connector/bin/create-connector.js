#!/usr/bin/env node
// `npm create @loyalty/connector <id> [dir]` / `npx @loyalty/create-connector <id> [dir]` (bins: create-connector,
// create-loyalty-connector once installed).
const path = require('node:path');
const { scaffoldConnector } = require('../src/scaffold');

const usage = `Usage: npx @loyalty/create-connector <id> [dir] [--name <package name>] [--sdk <version or path>]

  <id>    connector id: lower-case letters, digits and dashes (e.g. acme-crm)
  [dir]   where to write it (default ./loyalty-connector-<id>); must be empty or absent
  --name  package name (default loyalty-connector-<id>)
  --sdk   the @loyalty/sdk dependency (default the SDK version this scaffold ships with; a path or
          file: spec works too, e.g. --sdk file:../loyalty-sdk-0.1.0.tgz)
`;

function main(argv) {
  const positional = [];
  const opts = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '-h' || a === '--help') return void process.stdout.write(usage);
    if (a === '--name' || a === '--sdk') {
      const v = argv[++i];
      if (!v) throw new Error(`${a} needs a value`);
      opts[a.slice(2)] = v;
    } else if (a.startsWith('-')) throw new Error(`Unknown option ${a}`);
    else positional.push(a);
  }
  const [id, dir] = positional;
  if (!id) {
    process.stderr.write(usage);
    process.exitCode = 2;
    return;
  }
  const out = scaffoldConnector({ id, dir: dir ?? `loyalty-connector-${id}`, name: opts.name, sdk: opts.sdk });
  const rel = path.relative(process.cwd(), out.dir) || '.';
  process.stdout.write(
    `Created ${out.name} in ${rel} (${out.files.length} files).\n\nNext:\n  cd ${rel}\n  npm install\n  npm test\n  npm run build\n\nThen point the hub at it: CONNECTOR_PATHS=${out.dir} (see README.md).\n`,
  );
}

try {
  main(process.argv.slice(2));
} catch (e) {
  process.stderr.write(`create-loyalty-connector: ${e && e.message ? e.message : String(e)}\n`);
  process.exitCode = 1;
}
