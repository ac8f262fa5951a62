#!/usr/bin/env node
// Dependency hygiene for CI: `npm audit --omit=dev --audit-level=high --json` over the runtime
// dependencies. Fails (exit 1) on any high or critical advisory; when the registry's advisory
// endpoint does not answer (offline, a mirror without the audit API, an error status), it says it
// could not check and exits 0 — an unreachable endpoint is not a finding.
// Usage: node scripts/audit.js [--from <saved npm audit --json output>]
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const FAILING = ['high', 'critical'];

/**
 * The verdict on one `npm audit --json` output.
 * @param {string} stdout the JSON npm printed (may be empty or not JSON when npm itself failed)
 * @param {string} [stderr] npm's own error text, for the message
 * @returns {{ exitCode: 0 | 1, lines: string[] }}
 */
function judge(stdout, stderr = '') {
  let report;
  try {
    report = JSON.parse(stdout);
  } catch {
    const why = (stderr.split('\n').find((l) => /ERR|error/i.test(l)) || stdout.slice(0, 200) || 'no answer').trim();
    return { exitCode: 0, lines: [`audit: could not check advisories (npm audit gave no report: ${why}); continuing`] };
  }
  if (report && (report.error || report.statusCode || !report.metadata)) {
    const e = report.error || {};
    const why = [report.statusCode && `HTTP ${report.statusCode}`, e.code, e.summary || report.message].filter(Boolean).join(' ') || 'no report';
    return { exitCode: 0, lines: [`audit: could not check advisories (the registry's advisory endpoint did not answer: ${why.slice(0, 200)}); continuing`] };
  }
  const counts = report.metadata.vulnerabilities || {};
  const vulns = Object.values(report.vulnerabilities || {});
  const bad = vulns.filter((v) => FAILING.includes(v.severity));
  const summary = Object.entries(counts)
    .filter(([k, n]) => k !== 'total' && n > 0)
    .map(([k, n]) => `${n} ${k}`)
    .join(', ');
  if (!bad.length) return { exitCode: 0, lines: [`audit: no high or critical advisories in runtime dependencies${summary ? ` (${summary})` : ''}`] };
  const lines = [`audit: ${bad.length} runtime ${bad.length === 1 ? 'dependency has' : 'dependencies have'} a high or critical advisory:`];
  for (const v of bad) {
    const via = (v.via || [])
      .filter((x) => typeof x === 'object')
      .map((x) => `${x.title || 'advisory'}${x.url ? ` ${x.url}` : ''}`)
      .join('; ');
    lines.push(
      `  ${v.name} (${v.severity}, ${v.range || 'any version'})${via ? `: ${via}` : ` via ${(v.via || []).join(', ')}`}${v.fixAvailable ? ' — fix available' : ''}`,
    );
  }
  return { exitCode: 1, lines };
}

function main(argv) {
  const from = argv.indexOf('--from');
  let stdout;
  let stderr = '';
  if (from >= 0) {
    stdout = fs.readFileSync(argv[from + 1], 'utf8');
  } else {
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    const r = spawnSync(npm, ['audit', '--omit=dev', '--audit-level=high', '--json'], {
      cwd: path.resolve(__dirname, '..'),
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
      timeout: 120_000,
    });
    stdout = r.stdout || '';
    stderr = (r.stderr || '') + (r.error ? String(r.error.message) : '');
  }
  const v = judge(stdout, stderr);
  for (const l of v.lines) (v.exitCode ? process.stderr : process.stdout).write(`${l}\n`);
  return v.exitCode;
}

module.exports = { judge };

if (require.main === module) process.exit(main(process.argv.slice(2)));
