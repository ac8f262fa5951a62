import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { findConnectorPackages, requireConnectorPackage } from './connector-paths';

describe('CONNECTOR_PATHS', () => {
  let root: string;
  const pkg = (dir: string, json: object) => {
    fs.mkdirSync(path.join(root, dir), { recursive: true });
    fs.writeFileSync(path.join(root, dir, 'package.json'), JSON.stringify(json));
    return path.join(root, dir);
  };
  beforeEach(() => {
    root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'connector-paths-')));
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  it('finds a package by loyalty.connectorId or by its name, alone or in a folder of packages', () => {
    const a = pkg('a', { name: 'whatever', loyalty: { connectorId: 'acme-pos' } });
    pkg('folder/loyalty-connector-beta', { name: 'loyalty-connector-beta' });
    pkg('folder/@vendor/gamma', { name: '@vendor/loyalty-connector-gamma' });
    pkg('folder/@loyalty/connector-delta', { name: '@loyalty/connector-delta' });
    pkg('folder/not-a-connector', { name: 'left-pad' });
    const found = findConnectorPackages(` ${a} , ${path.join(root, 'folder')} ,`);
    expect([...found.keys()].sort()).toEqual(['acme-pos', 'beta', 'delta', 'gamma']);
    expect(found.get('acme-pos')).toEqual({ id: 'acme-pos', dir: a, name: 'whatever' });
    expect(found.get('gamma')!.dir).toBe(path.join(root, 'folder/@vendor/gamma'));
  });

  it('resolves relative paths from the working directory, and is empty when unset', () => {
    pkg('rel', { name: 'loyalty-connector-rel' });
    expect([...findConnectorPackages('rel', root).keys()]).toEqual(['rel']);
    expect(findConnectorPackages('').size).toBe(0);
    expect(findConnectorPackages(undefined).size).toBe(0);
  });

  it('names the setting and the reason when a path is wrong', () => {
    expect(() => findConnectorPackages(path.join(root, 'missing'))).toThrow(/CONNECTOR_PATHS: .*missing is not a directory/);
    const plain = pkg('plain', { name: 'left-pad' });
    expect(() => findConnectorPackages(plain)).toThrow(/names no connector \(add "loyalty": \{ "connectorId"/);
    const bad = pkg('bad', { name: 'x', loyalty: { connectorId: 'Bad Id' } });
    expect(() => findConnectorPackages(bad)).toThrow(/not a connector id/);
    fs.mkdirSync(path.join(root, 'empty'));
    expect(() => findConnectorPackages(path.join(root, 'empty'))).toThrow(/holds no connector package/);
    const one = pkg('one', { name: 'loyalty-connector-same' });
    const two = pkg('two', { name: '@loyalty/connector-same' });
    expect(() => findConnectorPackages(`${one},${two}`)).toThrow(/connector same is in both/);
  });

  it('says to build a package whose main module is missing', () => {
    const dir = pkg('unbuilt', { name: 'loyalty-connector-unbuilt', main: 'dist/index.js' });
    const found = findConnectorPackages(dir);
    expect(() => requireConnectorPackage(found.get('unbuilt')!)).toThrow(/CONNECTOR_PATHS: cannot load loyalty-connector-unbuilt from .* build it first/);
  });
});
