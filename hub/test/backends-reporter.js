// Jest reporter: counts the tests that ran on the real backends ([mariadb], [rabbitmq] in their
// names), prints the figures and writes them to test-artifacts/backends.json for .ci/run to check.
const fs = require('node:fs');
const path = require('node:path');

class BackendsReporter {
  constructor(globalConfig) {
    this.root = globalConfig.rootDir;
    this.counts = { sqlite: 0, mariadb: 0, memory: 0, rabbitmq: 0 };
  }
  onTestResult(_test, result) {
    for (const t of result.testResults) {
      if (t.status !== 'passed') continue;
      const name = t.fullName;
      for (const k of Object.keys(this.counts)) if (name.includes(`[${k}]`)) this.counts[k]++;
    }
  }
  onRunComplete() {
    const c = this.counts;
    const dir = path.join(this.root, 'test-artifacts');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'backends.json'), JSON.stringify(c) + '\n');
    process.stdout.write(
      `\nBackends: SQLite ${c.sqlite} tests, MariaDB ${c.mariadb} tests${process.env.TEST_DATABASE_URL ? '' : ' (TEST_DATABASE_URL unset)'}, ` +
        `memory bus ${c.memory} tests, RabbitMQ ${c.rabbitmq} tests${process.env.TEST_AMQP_URL ? '' : ' (TEST_AMQP_URL unset)'}\n`,
    );
  }
}
module.exports = BackendsReporter;
