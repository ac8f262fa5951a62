import fs from 'node:fs';
import { z } from 'zod';
import { README, renderCommands, withCommands } from '../scripts/gen-readme';
import { commandSchemas } from './contracts/commands';

describe('the SDK README', () => {
  const readme = fs.readFileSync(README, 'utf8');

  it('lists every command of the contract with its request and reply, as generated (run: npm run gen:readme -w @loyalty/sdk)', () => {
    expect(withCommands(readme)).toBe(readme);
  });

  it('has a section per command, whose request shows the contract’s fields', () => {
    const section = renderCommands();
    for (const type of Object.keys(commandSchemas)) expect(section).toContain(`### \`${type}\``);
    expect(section).toMatch(/### `checkout\.commit`[\s\S]*?idempotencyKey: string;/);
    expect(section).toMatch(/### `card\.lookup`[\s\S]*?pointsAvailable: integer;/);
  });

  it('goes stale when a contract changes', () => {
    const before = renderCommands();
    const shape = (commandSchemas['checkout.get'].request as unknown as z.ZodObject).shape as Record<string, z.ZodType>;
    shape.note = z.string().optional();
    try {
      expect(renderCommands()).not.toBe(before);
      expect(withCommands(readme)).not.toBe(readme);
    } finally {
      delete shape.note;
    }
  });

  it('names no repository file that does not exist', () => {
    const repo = `${__dirname}/../../..`;
    const paths = [...readme.matchAll(/`((?:connectors|hub|fixtures|src|scripts)\/[\w./-]+)`/g)].map((m) => m[1]!);
    expect(paths.length).toBeGreaterThan(3);
    for (const p of paths) {
      const inRepo = fs.existsSync(`${repo}/${p}`) || fs.existsSync(`${__dirname}/../${p}`);
      expect({ path: p, exists: inRepo }).toEqual({ path: p, exists: true });
    }
  });
});
