import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { API_TYPES, hubOpenApi } from '../../../admin/scripts/gen-api-types';

// The console's API types are generated from the hub's OpenAPI document; this fails while they are stale.
// The generator runs in a child process: Jest's VM cannot load openapi-typescript's ES module dependencies.
const root = path.resolve(__dirname, '../../..');
const render = (doc: unknown): string =>
  execFileSync(process.execPath, ['-r', path.join(root, 'hub/bin/register.js'), path.join(root, 'admin/scripts/gen-api-types.ts'), '--stdin', '--stdout'], {
    input: JSON.stringify(doc),
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });

describe('admin/src/app/api-types.ts', () => {
  let doc: Record<string, unknown>;
  beforeAll(async () => {
    doc = await hubOpenApi();
  });

  it('is what openapi-typescript makes of /v1/openapi.json today (run: npm run gen:api-types -w admin)', () => {
    expect(render(doc)).toBe(fs.readFileSync(API_TYPES, 'utf8'));
  });

  it('goes stale when a reply changes shape', () => {
    type Doc = { paths: Record<string, { get: { responses: { 200: { content: { 'application/json': { schema: { properties: Record<string, unknown> } } } } } } }> };
    const changed = structuredClone(doc) as Doc;
    changed.paths['/v1/admin/cards/{id}']!.get.responses[200].content['application/json'].schema.properties.nickname = { type: 'string' };
    const text = render(changed);
    expect(text).toContain('nickname?: string');
    expect(text).not.toBe(fs.readFileSync(API_TYPES, 'utf8'));
  });
});
