/**
 * Authentication benchmark (issue 9): what the keystone and jwt strategies cost per request, with a real Keystone
 * (Debian 12's keystone 22, started here; needs root and `scripts/install.sh --tests`).
 *   node bench/run.js bench/auth.ts [tokens=200] [warm=20000]
 *   - Keystone set-up: cold (db_sync, keys, bootstrap, start, provisioning) and a restart with the directory kept
 *   - token issue by password (what a client pays once per token)
 *   - keystone cold validation: `tokens` distinct tokens, each validated once (GET /v3/auth/tokens), 1 and 8 clients
 *   - keystone warm validation: the same tokens from the cache (sha256 + map lookup)
 *   - jwt verification: RS256 and ES256 against a local JWKS endpoint (keys cached after the first fetch)
 * Prints the figures and writes bench/reports/auth-<time>.json.
 */
import { generateKeyPairSync } from 'node:crypto';
import { createServer } from 'node:http';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { exportJWK, SignJWT } from 'jose';
import { startTestKeystone, type TestKeystone } from '@lbaas/testing';
import { AuthError } from '../apps/api/src/auth/identity';
import { jwtAuthenticator } from '../apps/api/src/auth/jwt';
import { keystoneAuthenticator } from '../apps/api/src/auth/keystone';

const tokens = Number(process.argv[2] ?? 200);
const warm = Number(process.argv[3] ?? 20000);

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return Math.round(s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))] * 1000) / 1000;
};
const summary = (lat: number[], seconds?: number) => ({
  n: lat.length, p50Ms: pct(lat, 0.5), p99Ms: pct(lat, 0.99), maxMs: pct(lat, 1),
  ...(seconds ? { perSecond: Math.round(lat.length / seconds) } : {}),
});

async function timed<T>(lat: number[], f: () => Promise<T>): Promise<T> {
  const t0 = performance.now();
  const r = await f();
  lat.push(performance.now() - t0);
  return r;
}

async function main(): Promise<void> {
  const t0 = performance.now();
  let ks: TestKeystone | undefined;
  const jwks = createServer();
  // Ctrl-C still stops Keystone and removes its directory.
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => { void (ks?.stop() ?? Promise.resolve()).finally(() => process.exit(130)); });
  try {
    ks = await startTestKeystone();
    const coldSetupMs = Math.round(performance.now() - t0);
    console.log('keystone cold set-up:', JSON.stringify({ totalMs: coldSetupMs, ...ks.timings }));
    const r0 = performance.now();
    await ks.restart();
    const restartMs = Math.round(performance.now() - r0);
    console.log('keystone restart (directory kept):', restartMs, 'ms');

    // Tokens to validate, issued up front (and timed: the client's cost of a password login).
    const issueLat: number[] = [];
    const pool: string[] = [];
    for (let i = 0; i < tokens * 2; i++) pool.push(await timed(issueLat, () => ks!.token(i % 2 ? 'a-member' : 'b-reader')));
    const issue = summary(issueLat);
    console.log('token issue (password):', JSON.stringify(issue));

    const auth = () => keystoneAuthenticator({
      url: ks!.url, publicUrl: ks!.url, timeoutMs: 5_000,
      service: { userName: 'lbaas', password: ks!.users.lbaas.password, userDomainId: 'default', projectName: 'service', projectDomainId: 'default' },
    });
    const check = (r: unknown) => { if (r instanceof AuthError) throw new Error(`validation failed: ${r.status} ${r.reason}`); };

    // Cold, one client: every token is new to the cache (the service token is fetched before timing starts).
    const a1 = auth();
    check(await a1.authenticate({ 'x-auth-token': await ks.token('a-reader') }));
    const coldLat: number[] = [];
    const c0 = performance.now();
    for (const t of pool.slice(0, tokens)) check(await timed(coldLat, () => a1.authenticate({ 'x-auth-token': t })));
    const cold1 = summary(coldLat, (performance.now() - c0) / 1000);
    console.log('keystone cold validation, 1 client:', JSON.stringify(cold1));

    // Cold, 8 clients at once (Keystone runs one process with 8 threads).
    const a8 = auth();
    check(await a8.authenticate({ 'x-auth-token': await ks.token('a-reader') }));
    const cold8Lat: number[] = [];
    const rest = pool.slice(tokens);
    const c8 = performance.now();
    await Promise.all(Array.from({ length: 8 }, async () => {
      for (let t = rest.pop(); t; t = rest.pop()) { const tok = t; check(await timed(cold8Lat, () => a8.authenticate({ 'x-auth-token': tok }))); }
    }));
    const cold8 = summary(cold8Lat, (performance.now() - c8) / 1000);
    console.log('keystone cold validation, 8 clients:', JSON.stringify(cold8));

    // Warm: the tokens a1 validated, from its cache.
    const warmLat: number[] = [];
    for (let i = 0; i < warm; i++) {
      const t = pool[i % tokens];
      check(await timed(warmLat, () => a1.authenticate({ 'x-auth-token': t })));
    }
    const warmSummary = summary(warmLat);
    if (a1.stats().validations !== tokens + 1) throw new Error(`warm validations reached Keystone: ${JSON.stringify(a1.stats())}`);
    console.log('keystone warm (cached) validation:', JSON.stringify(warmSummary));

    // JWT: keys from a local JWKS endpoint (fetched once, then cached by jose).
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const keys = [{ ...(await exportJWK(rsa.publicKey)), kid: 'rsa', alg: 'RS256' }, { ...(await exportJWK(ec.publicKey)), kid: 'ec', alg: 'ES256' }];
    jwks.on('request', (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys })));
    await new Promise<void>((r) => jwks.listen(0, '127.0.0.1', r));
    const jwt = jwtAuthenticator({
      key: { kind: 'jwks', url: `http://127.0.0.1:${(jwks.address() as { port: number }).port}/jwks` },
      issuer: 'https://idp.bench', audience: 'lbaas', algorithms: ['RS256', 'ES256'],
    });
    const jwtRuns: Record<string, ReturnType<typeof summary>> = {};
    for (const [alg, key] of [['RS256', rsa.privateKey], ['ES256', ec.privateKey]] as const) {
      const now = Math.floor(Date.now() / 1000);
      const signed = await Promise.all(Array.from({ length: 100 }, (_, i) => new SignJWT({
        iss: 'https://idp.bench', aud: 'lbaas', sub: `user-${i}`, project_id: 'project-a', roles: ['member'], exp: now + 3600,
      }).setProtectedHeader({ alg, kid: alg === 'RS256' ? 'rsa' : 'ec' }).sign(key)));
      check(await jwt.authenticate({ authorization: `Bearer ${signed[0]}` }));
      const lat: number[] = [];
      for (let i = 0; i < Math.min(warm, 5000); i++) {
        const t = signed[i % signed.length];
        check(await timed(lat, () => jwt.authenticate({ authorization: `Bearer ${t}` })));
      }
      jwtRuns[alg] = summary(lat);
      console.log(`jwt verify ${alg}:`, JSON.stringify(jwtRuns[alg]));
    }

    const report = {
      benchmark: 'auth', at: new Date().toISOString(), machine: { cpus: cpus().length, node: process.version },
      keystone: {
        version: 'Debian 12 keystone 22 (uWSGI, 1 process x 8 threads, SQLite WAL, dogpile memory cache, bcrypt cost 4)',
        coldSetupMs: coldSetupMs, setupPhases: ks.timings, restartMs, tokenIssue: issue,
        coldValidation: { oneClient: cold1, eightClients: cold8 }, warmValidation: warmSummary,
      },
      jwt: jwtRuns,
      notes: 'cold = a token new to the cache (one GET /v3/auth/tokens?nocatalog); warm = from the sha256-keyed cache; the apt install of keystone (about 20 s) is not included',
    };
    mkdirSync(join(__dirname, 'reports'), { recursive: true });
    const file = join(__dirname, 'reports', `auth-${report.at.replace(/[:.]/g, '-')}.json`);
    writeFileSync(file, JSON.stringify(report, null, 2));
    console.log(`report: ${file}`);
  } finally {
    jwks.close();
    await ks?.stop();
  }
}

main().then(() => process.exit(0), (err: unknown) => { console.error(err); process.exit(1); });
