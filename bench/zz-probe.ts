import { startTestKeystone } from '@lbaas/testing';
import { issuePasswordToken } from '@lbaas/app-shell';
(async () => {
  const ks = await startTestKeystone();
  try {
    const svc = (await issuePasswordToken(ks.url, { userName: 'lbaas', password: ks.users.lbaas.password, project: { name: 'service' } })).token;
    const toks = await Promise.all(Array.from({ length: 40 }, () => ks.token('a-member')));
    const r0 = await fetch(`${ks.url}/v3/auth/tokens?nocatalog`, { headers: { 'x-auth-token': svc, 'x-subject-token': toks[0] } });
    console.log([...r0.headers.entries()]);
    let errs = 0;
    await Promise.all(Array.from({ length: 8 }, async () => {
      for (let i = 0; i < 30; i++) {
        try {
          const r = await fetch(`${ks.url}/v3/auth/tokens?nocatalog`, { headers: { 'x-auth-token': svc, 'x-subject-token': toks[i] } });
          await r.text();
        } catch (e) { errs++; if (errs < 3) console.log((e as Error).message, (e as { cause?: unknown }).cause); }
      }
    }));
    console.log('errors', errs);
  } finally { console.log(ks.logs().split('\n').filter((l) => /ERROR|error|listen/i.test(l)).slice(-10).join('\n')); await ks.stop(); }
})().catch((e) => { console.error(e); process.exit(1); });
