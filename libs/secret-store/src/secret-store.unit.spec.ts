import { randomBytes } from 'node:crypto';
import { isCertBundle, open, parseSecretRef, parseSecretsKey, seal } from './secret-store';

describe('secret sealing (AES-256-GCM)', () => {
  const key = randomBytes(32);
  it('round-trips and does not contain the plaintext', () => {
    const sealed = seal(key, '-----BEGIN PRIVATE KEY-----abc', 'secret.x');
    expect(Buffer.from(sealed).toString('latin1')).not.toContain('PRIVATE KEY');
    expect(open(key, sealed, 'secret.x')).toBe('-----BEGIN PRIVATE KEY-----abc');
  });
  it('refuses another key, another record name, or a flipped bit', () => {
    const sealed = seal(key, 'payload', 'secret.x');
    expect(() => open(randomBytes(32), sealed, 'secret.x')).toThrow();
    expect(() => open(key, sealed, 'secret.y')).toThrow();
    const bad = Buffer.from(sealed); bad[bad.length - 1] ^= 1;
    expect(() => open(key, bad, 'secret.x')).toThrow();
  });
  it('parses keys and references', () => {
    expect(() => parseSecretsKey('abc')).toThrow(/64 hex/);
    expect(parseSecretsKey('00'.repeat(32))).toHaveLength(32);
    expect(parseSecretRef('http://h:1/v1/secrets/6B1D8F7A-5C1F-4C6D-8D66-1D3E9F802B02')).toEqual({ kind: 'secret', id: '6b1d8f7a-5c1f-4c6d-8d66-1d3e9f802b02' });
    expect(parseSecretRef('http://h/v1/containers/6b1d8f7a-5c1f-4c6d-8d66-1d3e9f802b02')?.kind).toBe('container');
    expect(parseSecretRef('http://h/v1/other/6b1d8f7a-5c1f-4c6d-8d66-1d3e9f802b02')).toBeNull();
    expect(isCertBundle('-----BEGIN CERTIFICATE-----\n-----BEGIN PRIVATE KEY-----')).toBe(true);
    expect(isCertBundle('-----BEGIN CERTIFICATE-----')).toBe(false);
  });
});
