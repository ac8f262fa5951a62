import { randomBytes, scryptSync } from 'node:crypto';
import { hashPassword, newApiKey, passwordNeedsRehash, SecretBox, verifyPassword } from './crypto';

describe('crypto', () => {
  it('hashes passwords with scrypt and verifies only the right one', async () => {
    const h = await hashPassword('correct horse');
    expect(h).toMatch(/^scrypt\$131072\$8\$1\$/);
    expect(passwordNeedsRehash(h)).toBe(false);
    expect(h).not.toContain('correct horse');
    await expect(verifyPassword('correct horse', h)).resolves.toBe(true);
    await expect(verifyPassword('correct hors', h)).resolves.toBe(false);
    expect(await hashPassword('correct horse')).not.toBe(h); // salted
  });

  it('still verifies hashes made at the old cost (N=2^14) and marks them for rehash', async () => {
    const salt = randomBytes(16);
    const old = ['scrypt', 16384, 8, 1, salt.toString('base64url'), scryptSync('old staff pw', salt, 32, { N: 16384, r: 8, p: 1 }).toString('base64url')].join('$');
    await expect(verifyPassword('old staff pw', old)).resolves.toBe(true);
    expect(passwordNeedsRehash(old)).toBe(true);
    // A row asking for more memory than today's cost is refused rather than computed.
    await expect(verifyPassword('x', old.replace('$16384$', '$1048576$'))).resolves.toBe(false);
  });

  it('makes API keys with a visible prefix', () => {
    const { key, prefix } = newApiKey();
    expect(key.startsWith(prefix + '_')).toBe(true);
    expect(prefix).toMatch(/^lk_[0-9a-f]{8}$/);
  });

  it('seals secrets with AES-GCM; tampering or another key fails', () => {
    const box = new SecretBox('x'.repeat(40));
    const sealed = box.seal('sk_live_123');
    expect(sealed).not.toContain('sk_live_123');
    expect(box.open(sealed)).toBe('sk_live_123');
    const parts = sealed.split('.');
    parts[3] = Buffer.from('tampered').toString('base64url');
    expect(() => box.open(parts.join('.'))).toThrow();
    expect(() => new SecretBox('y'.repeat(40)).open(sealed)).toThrow();
  });
});
