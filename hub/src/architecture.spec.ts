import { execFileSync } from 'node:child_process';
import path from 'node:path';

/*
 * The module boundary rule (eslint.boundaries.mjs) must fire: each snippet is linted with the
 * repository's own eslint.config.mjs as if it were a file inside a module. ESLint runs in a child
 * process because it loads its flat config with a dynamic import, which Jest's VM does not offer.
 */

const root = path.resolve(__dirname, '../..');

interface Finding {
  ruleId: string | null;
  message: string;
}

/** Lints each snippet as the given file (the file need not exist) and returns the boundary findings per snippet. */
function lint(snippets: { file: string; code: string }[]): Finding[][] {
  const script = `
    const { ESLint } = require('eslint');
    (async () => {
      const eslint = new ESLint({ cwd: process.cwd() });
      const out = [];
      for (const s of JSON.parse(require('node:fs').readFileSync(0, 'utf8'))) {
        const [r] = await eslint.lintText(s.code, { filePath: s.file });
        out.push(r.messages.map((m) => ({ ruleId: m.ruleId, message: m.message })));
      }
      process.stdout.write(JSON.stringify(out));
    })().catch((e) => { console.error(e); process.exit(1); });`;
  const json = execFileSync(process.execPath, ['-e', script], { cwd: root, input: JSON.stringify(snippets), encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  return (JSON.parse(json) as Finding[][]).map((fs) => fs.filter((f) => f.ruleId === 'boundaries/dependencies' || f.ruleId === null));
}

const inModule = (m: string) => path.join(root, `hub/src/modules/${m}/boundaries-fixture.ts`);

describe('module boundaries (eslint-plugin-boundaries)', () => {
  const [entityValue, entityType, internal, upward, downward, shared] = lint([
    // 0: another module's entity as a value (its repository is one call away)
    { file: inModule('wallet'), code: "import { Card } from '../cards/cards.entity';\nexport const target = Card;\n" },
    // 1: the same entity for its type only
    { file: inModule('wallet'), code: "import type { Card } from '../cards/cards.entity';\nexport type Shown = Pick<Card, 'id'>;\n" },
    // 2: another module's internals (its routes)
    { file: inModule('wallet'), code: "import { checkoutRoutes } from '../checkout/checkout.routes';\nexport const r = checkoutRoutes;\n" },
    // 3: a lower module importing an upper one, even for a type: the edge that closes a cycle
    { file: inModule('cards'), code: "import type { GuestsService } from '../guests/guests.service';\nexport type G = GuestsService;\n" },
    // 4: an upper module calling a lower one's service
    { file: inModule('guests'), code: "import type { CardsService } from '../cards/cards.service';\nexport type C = CardsService;\n" },
    // 5: shared primitives
    { file: inModule('cards'), code: "import { normalizePhone } from '../../shared/phone';\nexport const n = normalizePhone;\n" },
  ]);

  it('refuses a value import of another module’s entity and allows a type import', () => {
    expect(entityValue).toEqual([expect.objectContaining({ message: expect.stringContaining('imports the entities of "cards" as values') })]);
    expect(entityType).toEqual([]);
  });

  it('refuses another module’s internals', () => {
    expect(internal).toEqual([expect.objectContaining({ message: expect.stringContaining('"checkout.routes.ts" is internal to module "checkout"') })]);
  });

  it('refuses an import up the layers (a cycle needs one) and allows one down', () => {
    expect(upward).toEqual([expect.objectContaining({ message: expect.stringContaining('Module "cards" sits below "guests"') })]);
    expect(downward).toEqual([]);
    expect(shared).toEqual([]);
  });
});
