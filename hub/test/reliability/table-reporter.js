// Prints the reliability table: one row per check with its figure (rows written by table.ts).
const fs = require('node:fs');
const path = require('node:path');

class TableReporter {
  constructor(globalConfig) {
    this.dir = path.join(globalConfig.rootDir, 'test-artifacts', 'reliability');
  }
  onRunStart() {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
  onRunComplete(_ctx, results) {
    let rows = [];
    try {
      rows = fs.readdirSync(this.dir).filter((f) => f.endsWith('.json')).map((f) => JSON.parse(fs.readFileSync(path.join(this.dir, f), 'utf8')));
    } catch {
      /* no rows */
    }
    rows.sort((a, b) => a.id.localeCompare(b.id, 'en', { numeric: true }));
    const head = ['check', 'what', 'figure', 'backend', 'held'];
    const body = rows.map((r) => [r.id, r.check, r.figure, r.backend, r.held ? 'yes' : 'NO']);
    const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => String(r[i]).length)));
    const line = (cells) => '| ' + cells.map((c, i) => String(c).padEnd(widths[i])).join(' | ') + ' |';
    const out = ['', 'Reliability and security', line(head), '|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|', ...body.map(line)];
    if (results.numFailedTests > 0) out.push(`${results.numFailedTests} check(s) failed — see above.`);
    process.stdout.write(out.join('\n') + '\n\n');
    fs.mkdirSync(this.dir, { recursive: true });
    fs.writeFileSync(path.join(this.dir, 'table.md'), out.slice(2).join('\n') + '\n');
  }
}
module.exports = TableReporter;
