import { hashPassword, newApiKey, SecretBox, verifyPassword } from './crypto';

describe('crypto', () => {
  it('hashes passwords with scrypt and verifies only the right one', async () => {
    const h = await hashPassword('correct horse');
    expect(h).toMatch(/^scrypt\$16384\$8\$1\$/);
    expect(h).not.toContain('correct horse');
    await expect(verifyPassword('correct horse', h)).resolves.toBe(true);
    await expect(verifyPassword('correct hors', h)).resolves.toBe(false);
    expect(await hashPassword('correct horse')).not.toBe(h); // salted
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
