import fs from 'node:fs';
import Module from 'node:module';
import path from 'node:path';
import type { ConnectorModule } from '@loyalty/sdk';

/** A connector package found through the CONNECTOR_PATHS setting. */
export interface ConnectorPackage {
  id: string;
  /** The package's directory (real path). */
  dir: string;
  /** Its package.json name. */
  name: string;
}

const ID = /^[a-z][a-z0-9-]{1,38}[a-z0-9]$/;
/** `@loyalty/connector-<id>`, `loyalty-connector-<id>` or `@scope/loyalty-connector-<id>`: integrators cannot publish under @loyalty. */
const NAME = /^(?:@loyalty\/connector-|(?:@[a-z0-9][a-z0-9._~-]*\/)?loyalty-connector-)([a-z][a-z0-9-]{1,38}[a-z0-9])$/;

function readPackage(dir: string): { name: string; id?: string } | undefined {
  const file = path.join(dir, 'package.json');
  if (!fs.existsSync(file)) return undefined;
  let pkg: { name?: unknown; loyalty?: { connectorId?: unknown } };
  try {
    pkg = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`CONNECTOR_PATHS: ${file} is not valid JSON (${(e as Error).message})`, { cause: e });
  }
  const name = typeof pkg.name === 'string' ? pkg.name : '';
  const declared = pkg.loyalty?.connectorId;
  if (declared !== undefined && (typeof declared !== 'string' || !ID.test(declared))) {
    throw new Error(`CONNECTOR_PATHS: ${file} has loyalty.connectorId ${JSON.stringify(declared)}, not a connector id (lower-case letters, digits, dashes)`);
  }
  return { name, id: (declared as string | undefined) ?? NAME.exec(name)?.[1] };
}

/**
 * The connector packages named by CONNECTOR_PATHS (comma-separated directories). A directory with a
 * package.json is one package; any other directory is a folder of packages (`<dir>/*` and
 * `<dir>/@scope/*`), and its sub-directories that are not connectors are skipped. Throws, naming
 * the setting, for a missing directory, a package that says no connector id, or one id twice.
 */
export function findConnectorPackages(setting: string | undefined, cwd = process.cwd()): Map<string, ConnectorPackage> {
  const found = new Map<string, ConnectorPackage>();
  const add = (dir: string, pkg: { name: string; id?: string }) => {
    if (!pkg.id) return false;
    const prev = found.get(pkg.id);
    if (prev && prev.dir !== dir) throw new Error(`CONNECTOR_PATHS: connector ${pkg.id} is in both ${prev.dir} and ${dir}`);
    found.set(pkg.id, { id: pkg.id, dir, name: pkg.name });
    return true;
  };
  for (const entry of (setting ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const abs = path.resolve(cwd, entry);
    if (!fs.existsSync(abs) || !fs.statSync(abs).isDirectory()) throw new Error(`CONNECTOR_PATHS: ${abs} is not a directory`);
    const dir = fs.realpathSync(abs);
    const own = readPackage(dir);
    if (own) {
      if (!add(dir, own))
        throw new Error(
          `CONNECTOR_PATHS: ${dir}/package.json names no connector (add "loyalty": { "connectorId": "<id>" } or name it @loyalty/connector-<id>)`,
        );
      continue;
    }
    let any = false;
    for (const child of fs.readdirSync(dir, { withFileTypes: true })) {
      if (!child.isDirectory() && !child.isSymbolicLink()) continue;
      const sub = path.join(dir, child.name);
      const subs = child.name.startsWith('@') ? fs.readdirSync(sub).map((n) => path.join(sub, n)) : [sub];
      for (const s of subs) {
        const real = fs.realpathSync(s);
        const pkg = fs.statSync(real).isDirectory() ? readPackage(real) : undefined;
        if (pkg && add(real, pkg)) any = true;
      }
    }
    if (!any) throw new Error(`CONNECTOR_PATHS: ${dir} holds no connector package`);
  }
  return found;
}

/** The modules a connector shares with its host: one SDK, one zod (schemas, registries), one TypeORM (its entities). */
const SHARED = /^(@loyalty\/sdk|zod|typeorm)(\/.*)?$/;
const roots = new Set<string>();
let hooked = false;

/**
 * Makes `require` of the shared modules from files under the connector package directories return
 * the host's own instances, even when the package has its own node_modules (it was installed and
 * built on its own): one `@loyalty/sdk` (its classes, registries and contracts), one zod, one
 * TypeORM. Done on Node's module loader; where that loader is not used (jest), the package keeps its
 * copies, which the SDK tolerates (zod's registry lives on globalThis, SDK errors are branded).
 */
function shareHostModules(dir: string): void {
  roots.add(dir.endsWith(path.sep) ? dir : dir + path.sep);
  if (hooked) return;
  hooked = true;
  const M = Module as unknown as { _load(request: string, parent: { filename?: string } | undefined, isMain: boolean): unknown };
  const load = M._load;
  M._load = function (request, parent, isMain) {
    const from = parent?.filename;
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the host's own instance, by name
    if (from && SHARED.test(request) && [...roots].some((r) => from.startsWith(r))) return require(request);
    return load.call(this, request, parent, isMain);
  };
}

/** Requires a connector package found by {@link findConnectorPackages} (its main module, with the host's shared modules). */
export function requireConnectorPackage(pkg: ConnectorPackage): ConnectorModule {
  shareHostModules(pkg.dir);
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- a package found at run time
    return require(pkg.dir) as ConnectorModule;
  } catch (e) {
    const why =
      (e as { code?: string }).code === 'MODULE_NOT_FOUND' && !fs.existsSync(mainOf(pkg.dir))
        ? ' (its main module is missing: build it first, e.g. npm run build)'
        : '';
    throw new Error(`CONNECTOR_PATHS: cannot load ${pkg.name || pkg.id} from ${pkg.dir}${why}: ${(e as Error).message}`, { cause: e });
  }
}

/** The file a package's `main` names (index.js by default). */
function mainOf(dir: string): string {
  const main = (JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { main?: string }).main ?? 'index.js';
  const file = path.join(dir, main);
  return fs.existsSync(file) || path.extname(file) ? file : `${file}.js`;
}

/**
 * The resolver handed to the SDK's `loadConnector(id, services, resolve)`: a package found in
 * CONNECTOR_PATHS by its id, else the installed `@loyalty/connector-<id>`.
 */
export function connectorResolver(outside: Map<string, ConnectorPackage>): (name: string) => unknown {
  return (name) => {
    const id = name.replace(/^@loyalty\/connector-/, '');
    const pkg = outside.get(id);
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- an installed package named at run time
    return pkg ? requireConnectorPackage(pkg) : require(name);
  };
}
