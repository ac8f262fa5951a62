import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * Helpers that play an integrator outside this repository: the SDK as npm would publish it (packed
 * tarball), a package that depends on it with its own node_modules, compiled by plain tsc and run
 * by plain node. No network: the tarball is unpacked by hand and the other dependencies come from
 * the repository's node_modules (zod copied, so the package has its own instance).
 */
export const REPO = path.resolve(__dirname, '../../..');
const TSC = path.join(REPO, 'node_modules/typescript/bin/tsc');

let packed: string | undefined;
/** Whether `npm pack` left connectors/sdk/dist behind (looked at while holding the pack lock). */
export let packLeftDist: boolean | undefined;

const sleep = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/**
 * Runs `fn` holding a lock shared by every test process on this machine: two suites packing at
 * once would both rebuild connectors/sdk/dist, and one could pack the other's half-written files.
 */
function withPackLock<T>(fn: () => T): T {
  const lock = path.join(os.tmpdir(), 'loyalty-sdk-pack.lock');
  for (;;) {
    try {
      fs.mkdirSync(lock);
      break;
    } catch {
      // A lock left by a killed run: the pack takes well under ten minutes.
      const age = Date.now() - (fs.statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > 10 * 60_000) fs.rmSync(lock, { recursive: true, force: true });
      else sleep(250);
    }
  }
  try {
    return fn();
  } finally {
    fs.rmSync(lock, { recursive: true, force: true });
  }
}

/** `npm pack` of @loyalty/sdk (its prepack builds dist/), once per test process; the tarball path. */
export function packSdk(): string {
  if (packed && fs.existsSync(packed)) return packed;
  const dest = fs.mkdtempSync(path.join(os.tmpdir(), 'loyalty-sdk-pack-'));
  process.once('exit', () => fs.rmSync(dest, { recursive: true, force: true }));
  const out = withPackLock(() => {
    const printed = execFileSync('npm', ['pack', '--pack-destination', dest, '--silent', '--no-audit', '--no-fund'], {
      cwd: path.join(REPO, 'connectors/sdk'),
      encoding: 'utf8',
      env: { ...process.env, npm_config_offline: 'true' },
    });
    packLeftDist = fs.existsSync(path.join(REPO, 'connectors/sdk/dist'));
    return printed;
  });
  const file = out.trim().split('\n').pop()!.trim();
  packed = path.join(dest, file);
  return packed;
}

/** The file names inside a tarball (without the leading `package/`). */
export function tarballFiles(tgz: string): string[] {
  return execFileSync('tar', ['-tzf', tgz], { encoding: 'utf8' })
    .split('\n')
    .filter(Boolean)
    .map((f) => f.replace(/^package\//, ''));
}

/**
 * Gives `dir` a node_modules as `npm install` would: `@loyalty/sdk` unpacked from the tarball (or
 * linked to the repository's workspace package), zod copied (its own instance), and express, axios
 * and the type packages linked.
 */
export function installDeps(dir: string, sdk: { tarball: string } | 'workspace'): void {
  const nm = path.join(dir, 'node_modules');
  fs.mkdirSync(path.join(nm, '@loyalty'), { recursive: true });
  fs.mkdirSync(path.join(nm, '@types'), { recursive: true });
  const sdkDir = path.join(nm, '@loyalty/sdk');
  fs.rmSync(sdkDir, { recursive: true, force: true });
  if (sdk === 'workspace') fs.symlinkSync(path.join(REPO, 'connectors/sdk'), sdkDir, 'dir');
  else {
    fs.mkdirSync(sdkDir);
    execFileSync('tar', ['-xzf', sdk.tarball, '-C', sdkDir, '--strip-components=1']);
  }
  if (!fs.existsSync(path.join(nm, 'zod'))) fs.cpSync(path.join(REPO, 'node_modules/zod'), path.join(nm, 'zod'), { recursive: true });
  for (const m of [
    'express',
    'axios',
    '@types/express',
    '@types/node',
    '@types/express-serve-static-core',
    '@types/serve-static',
    '@types/body-parser',
    '@types/qs',
  ]) {
    const link = path.join(nm, m);
    if (!fs.existsSync(link) && fs.existsSync(path.join(REPO, 'node_modules', m))) fs.symlinkSync(path.join(REPO, 'node_modules', m), link, 'dir');
  }
}

/** Runs the repository's TypeScript compiler on a project; throws with tsc's output when it fails. */
export function tsc(project: string): void {
  try {
    execFileSync(process.execPath, [TSC, '-p', project], { encoding: 'utf8', stdio: 'pipe' });
  } catch (e) {
    const x = e as { stdout?: string; stderr?: string };
    throw new Error(`tsc -p ${project} failed:\n${x.stdout ?? ''}${x.stderr ?? ''}`, { cause: e });
  }
}

/** tsc's diagnostics for a project that is expected to fail (empty when it compiles). */
export function tscErrors(project: string): string {
  try {
    execFileSync(process.execPath, [TSC, '-p', project], { encoding: 'utf8', stdio: 'pipe' });
    return '';
  } catch (e) {
    return (e as { stdout?: string }).stdout ?? String(e);
  }
}

/** Runs plain node (no TypeScript hook) in `cwd`; its stdout, or throws with its output. */
export function node(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): string {
  try {
    return execFileSync(process.execPath, args, { cwd, encoding: 'utf8', stdio: 'pipe', env: { PATH: process.env.PATH, ...env } });
  } catch (e) {
    const x = e as { stdout?: string; stderr?: string };
    throw new Error(`node ${args.join(' ')} failed:\n${x.stdout ?? ''}${x.stderr ?? ''}`, { cause: e });
  }
}
