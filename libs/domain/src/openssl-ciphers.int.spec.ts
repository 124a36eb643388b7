import { execFileSync } from 'node:child_process';
import { OPENSSL_CIPHER_ALIASES, OPENSSL_CIPHER_NAMES } from './openssl-ciphers';
import { cipherStringProblem } from './tls-rules';

/**
 * The static cipher table against the installed openssl (the one haproxy links): the names are what it lists, and
 * every alias selects something. When this fails after an OpenSSL upgrade, regenerate openssl-ciphers.ts as its
 * comment says.
 */
const openssl = (...args: string[]): { ok: boolean; out: string } => {
  try {
    return { ok: true, out: execFileSync('openssl', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() };
  } catch {
    return { ok: false, out: '' };
  }
};

describe('the OpenSSL cipher table', () => {
  it('lists exactly the ciphers this openssl knows', () => {
    const live = openssl('ciphers', 'ALL:COMPLEMENTOFALL:@SECLEVEL=0').out.split(':').sort();
    expect([...OPENSSL_CIPHER_NAMES].sort()).toEqual(live);
  });
  it('holds only aliases this openssl accepts', () => {
    expect(OPENSSL_CIPHER_ALIASES.filter((a) => !openssl('ciphers', `${a}:@SECLEVEL=0`).ok)).toEqual([]);
  });
  it('accepts what openssl accepts and refuses what openssl would silently drop', () => {
    for (const s of ['HIGH:!aNULL:!MD5', 'ECDHE+AESGCM:@STRENGTH']) {
      expect([s, cipherStringProblem(s)]).toEqual([s, null]);
      expect(openssl('ciphers', s).ok).toBe(true);
    }
    // openssl takes this (the unknown name is dropped without a word): the table does not.
    expect(openssl('ciphers', 'AES128-SHA:NOT-A-CIPHER').ok).toBe(true);
    expect(cipherStringProblem('AES128-SHA:NOT-A-CIPHER')).toMatch(/NOT-A-CIPHER/);
  });
});
