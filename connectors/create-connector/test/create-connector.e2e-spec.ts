import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { scaffoldConnector } from '../src/scaffold';
import { installDeps, node, packLeftDist, packSdk, tarballFiles, tsc, tscErrors } from './outside';

/**
 * An integrator outside this repository (issue 13): the SDK as published (compiled JS and type
 * declarations), compiled by a strict tsc in another package and run with plain node; and a
 * connector package made by the scaffold, which builds and passes its own tests there.
 */
describe('building a connector outside the repository', () => {
  let tarball: string;
  const temp: string[] = [];
  const tmp = (prefix: string) => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    temp.push(d);
    return d;
  };

  beforeAll(() => {
    tarball = packSdk();
  });
  afterAll(() => {
    for (const d of temp) fs.rmSync(d, { recursive: true, force: true });
  });

  it('the packed SDK ships compiled JS and type declarations, no TypeScript sources or tests', () => {
    const files = tarballFiles(tarball);
    for (const f of ['package.json', 'README.md', 'dist/index.js', 'dist/index.d.ts', 'dist/testkit.js', 'dist/testkit.d.ts', 'dist/contracts/commands.d.ts']) {
      expect(files).toContain(f);
    }
    expect(files.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))).toEqual([]);
    expect(files.filter((f) => /spec/.test(f))).toEqual([]);
    const pkg = JSON.parse(execFileSync('tar', ['-xzOf', tarball, 'package/package.json'], { encoding: 'utf8' }));
    expect(pkg.exports['.']).toMatchObject({ types: './dist/index.d.ts', require: './dist/index.js' });
    expect(pkg.exports['./testkit']).toMatchObject({ types: './dist/testkit.d.ts', require: './dist/testkit.js' });
    // The build is for the tarball only: the repository keeps running its sources, never a stale dist/.
    expect(packLeftDist).toBe(false);
  });

  it('a package depending on the tarball compiles with strict tsc and runs with plain node', () => {
    const dir = tmp('outside-consumer-');
    fs.writeFileSync(
      path.join(dir, 'package.json'),
      JSON.stringify({ name: 'outside-consumer', private: true, dependencies: { '@loyalty/sdk': `file:${tarball}` } }),
    );
    const tsconfig = (include: string[]) =>
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'node16',
          moduleResolution: 'node16',
          strict: true,
          skipLibCheck: true,
          types: ['node'],
          outDir: 'out',
          rootDir: '.',
        },
        include,
      });
    fs.writeFileSync(path.join(dir, 'tsconfig.json'), tsconfig(['index.ts']));
    fs.writeFileSync(
      path.join(dir, 'index.ts'),
      `import { CONTRACT_VERSION, commandSchemas, defineConnector, secret, secretKeys, type CommandReply } from '@loyalty/sdk';
import { runConnector } from '@loyalty/sdk/testkit';
import { z } from 'zod';

const connector = defineConnector({
  manifest: { id: 'outside-demo', name: 'Outside demo', category: 'crm', version: '1.0.0', contractVersion: CONTRACT_VERSION, consumes: ['guest.registered'], description: 'Built outside.' },
  configSchema: z.object({ apiKey: secret(z.string().min(8)).meta({ title: 'API key' }) }),
  handlers: {
    'guest.registered': async (msg, ctx) => {
      const guest: CommandReply<'guest.get'> = await ctx.hub.request('guest.get', { guestId: msg.data.guestId });
      ctx.log.info({ guest: guest.id, key: ctx.config.apiKey }, 'seen');
    },
  },
});

async function main() {
  const run = await runConnector(connector, { config: { apiKey: 'k-0123456789' } });
  run.commands.on('guest.get', (q) => ({ id: q.guestId }) as never);
  const r = await run.emit('guest.registered', { guestId: 'g-1', phone: null, name: null, source: null });
  console.log(JSON.stringify({ status: r.status, secrets: secretKeys(connector.configSchema), commands: Object.keys(commandSchemas).includes('checkout.commit'), logged: JSON.stringify(run.logs).includes('k-0123456789') }));
  await run.close();
}
void main();
`,
    );
    installDeps(dir, { tarball });
    tsc(dir);
    const out = JSON.parse(node(['out/index.js'], dir).trim().split('\n').pop()!);
    expect(out).toEqual({ status: 'handled', secrets: ['apiKey'], commands: true, logged: false });

    // The command contracts are types the integrator's compiler checks.
    fs.writeFileSync(
      path.join(dir, 'wrong.ts'),
      `import type { HubClient } from '@loyalty/sdk';
export async function f(hub: HubClient) {
  await hub.request('card.lokup', { number: '1' });
  await hub.request('checkout.commit', { basket: { items: [] } });
}
`,
    );
    fs.writeFileSync(path.join(dir, 'tsconfig.json'), tsconfig(['wrong.ts']));
    const errors = tscErrors(dir);
    expect(errors).toMatch(/wrong\.ts\(3,.*'"card\.lokup"'/);
    expect(errors).toMatch(/wrong\.ts\(4,.*idempotencyKey/);
  });

  it('the scaffold writes a connector package that compiles, passes its own tests and builds', () => {
    const dir = path.join(tmp('outside-scaffold-'), 'loyalty-connector-demo-crm');
    const made = scaffoldConnector({ id: 'demo-crm', dir, sdk: `file:${tarball}` });
    expect(made.name).toBe('loyalty-connector-demo-crm');
    expect(made.files).toEqual(
      expect.arrayContaining([
        '.gitignore',
        'README.md',
        'package.json',
        'tsconfig.json',
        'tsconfig.build.json',
        'src/manifest.ts',
        'src/config.schema.ts',
        'src/connector.ts',
        'src/index.ts',
        'src/translate/order.ts',
        'src/translate/signature.ts',
        'src/translate/translate.test.ts',
        'src/transport/client.ts',
        'test/connector.test.ts',
      ]),
    );
    const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
    expect(pkg).toMatchObject({
      name: 'loyalty-connector-demo-crm',
      loyalty: { connectorId: 'demo-crm' },
      dependencies: { '@loyalty/sdk': `file:${tarball}` },
    });
    expect(fs.readFileSync(path.join(dir, 'src/connector.ts'), 'utf8')).not.toMatch(/__[A-Z]+__/);

    installDeps(dir, { tarball });
    tsc(path.join(dir, 'tsconfig.json'));
    // node --test finds build/**/*.test.js (and build/test/**) as `npm test` does.
    const report = node(['--test'], dir);
    expect(report).toMatch(/# fail 0/);
    expect(Number(/# pass (\d+)/.exec(report)?.[1])).toBeGreaterThanOrEqual(8);

    tsc(path.join(dir, 'tsconfig.build.json'));
    expect(fs.existsSync(path.join(dir, 'dist/index.d.ts'))).toBe(true);
    expect(fs.existsSync(path.join(dir, 'dist/translate/translate.test.js'))).toBe(false);
    const loaded = JSON.parse(node(['-e', `const m = require('./'); console.log(JSON.stringify(m.connector.manifest))`], dir));
    expect(loaded).toMatchObject({ id: 'demo-crm', inbound: [{ method: 'post', path: '/:businessId/hooks' }], sends: ['card.lookup', 'checkout.commit'] });
  });

  it('the command line writes the package, and refuses a bad id with exit code 1', () => {
    const cwd = tmp('outside-cli-');
    const bin = path.join(__dirname, '../bin/create-connector.js');
    const out = node([bin, 'cli-demo'], cwd);
    expect(out).toContain('Created loyalty-connector-cli-demo in loyalty-connector-cli-demo');
    expect(JSON.parse(fs.readFileSync(path.join(cwd, 'loyalty-connector-cli-demo/package.json'), 'utf8')).loyalty).toEqual({ connectorId: 'cli-demo' });
    expect(() => node([bin, 'Bad Id'], cwd)).toThrow(/"Bad Id" is not a connector id/);
  });

  it('the scaffold refuses a bad id and a directory that is not empty', () => {
    expect(() => scaffoldConnector({ id: 'Demo CRM', dir: tmp('outside-bad-') })).toThrow(/not a connector id/);
    const dir = tmp('outside-full-');
    fs.writeFileSync(path.join(dir, 'keep.txt'), 'x');
    expect(() => scaffoldConnector({ id: 'demo-crm', dir })).toThrow(/is not empty/);
  });
});
