import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const SCRIPT = path.resolve(__dirname, '../../../scripts/audit.js');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'audit-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Runs the CI audit script on a saved `npm audit --json` answer. */
function judge(report: unknown) {
  const file = path.join(dir, `${Math.random()}.json`);
  fs.writeFileSync(file, typeof report === 'string' ? report : JSON.stringify(report));
  return spawnSync(process.execPath, [SCRIPT, '--from', file], { encoding: 'utf8' });
}

const report = (vulnerabilities: Record<string, unknown>, counts: Record<string, number>) => ({
  auditReportVersion: 2,
  vulnerabilities,
  metadata: { vulnerabilities: { info: 0, low: 0, moderate: 0, high: 0, critical: 0, total: 0, ...counts }, dependencies: { prod: 120, dev: 0, total: 120 } },
});
const advisory = (name: string, severity: string) => ({
  name,
  severity,
  isDirect: false,
  via: [{ source: 1, name, title: `${name} is broken`, url: `https://github.com/advisories/GHSA-${name}`, severity, range: '<1.2.3' }],
  effects: [],
  range: '<1.2.3',
  nodes: [`node_modules/${name}`],
  fixAvailable: true,
});

/* Issue 19, dependency hygiene: CI fails on a high or critical advisory, and says so (without failing) when it cannot check. */
describe('scripts/audit.js (run by .ci/run)', () => {
  it('fails on a high or a critical advisory in runtime dependencies, naming the package and advisory', () => {
    for (const severity of ['high', 'critical']) {
      const r = judge(report({ 'bad-lib': advisory('bad-lib', severity) }, { [severity]: 1, total: 1 }));
      expect(r.status).toBe(1);
      expect(r.stderr).toContain(`bad-lib (${severity}, <1.2.3): bad-lib is broken https://github.com/advisories/GHSA-bad-lib`);
    }
  });

  it('passes with low and moderate advisories only, and with none', () => {
    const r = judge(report({ meh: advisory('meh', 'moderate') }, { moderate: 1, total: 1 }));
    expect([r.status, r.stdout.trim()]).toEqual([0, 'audit: no high or critical advisories in runtime dependencies (1 moderate)']);
    expect(judge(report({}, {})).status).toBe(0);
  });

  it('says it could not check, and does not fail, when the advisory endpoint does not answer', () => {
    const refused = judge({
      message: '405 Method Not Allowed - POST https://registry.npmjs.org/-/npm/v1/security/advisories/bulk',
      statusCode: 405,
      error: { summary: '', detail: '' },
    });
    expect(refused.status).toBe(0);
    expect(refused.stdout).toMatch(/^audit: could not check advisories \(the registry's advisory endpoint did not answer: HTTP 405/);
    const offline = judge({ error: { code: 'ENOTFOUND', summary: 'request to https://registry.npmjs.org failed', detail: '' } });
    expect([offline.status, offline.stdout]).toEqual([0, expect.stringContaining('ENOTFOUND')]);
    const garbage = judge('npm ERR! something odd');
    expect([garbage.status, garbage.stdout]).toEqual([0, expect.stringContaining('could not check advisories')]);
  });

  it('runs npm audit for real and survives a registry that refuses connections', () => {
    const r = spawnSync(process.execPath, [SCRIPT], {
      encoding: 'utf8',
      env: { ...process.env, npm_config_registry: 'http://127.0.0.1:9/', npm_config_fetch_retries: '0', npm_config_offline: 'false' },
      timeout: 100_000,
    });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('audit: could not check advisories');
  });
});
