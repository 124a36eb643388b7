import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A throw-away PKI for TLS tests, made with the openssl CLI at test time (no key is ever committed): a CA, leaf
 * certificates it signs (server or client, with SANs), revocations and a CRL. Every file lives under `dir`.
 */
export type TestCa = { name: string; dir: string; cert: string; key: string };
export type TestCert = { cert: string; key: string; /** certificate then key, one PEM (haproxy `crt`, the secret store's bundle) */ bundle: string };

const openssl = (args: string[]) => execFileSync('openssl', args, { stdio: ['ignore', 'pipe', 'pipe'] }).toString();

const CA_CONFIG = (dir: string) => `[ ca ]
default_ca = test_ca
[ test_ca ]
dir = ${dir}
database = ${dir}/index.txt
new_certs_dir = ${dir}/issued
serial = ${dir}/serial
crlnumber = ${dir}/crlnumber
certificate = ${dir}/ca.pem
private_key = ${dir}/ca-key.pem
default_md = sha256
default_days = 2
default_crl_days = 2
policy = anything
copy_extensions = copy
unique_subject = no
[ anything ]
commonName = supplied
organizationName = optional
organizationalUnitName = optional
`;

/** A self-signed CA named `name` (its CN is `<name> CA`). */
export function makeTestCa(dir: string, name: string): TestCa {
  const d = join(dir, name);
  mkdirSync(join(d, 'issued'), { recursive: true });
  writeFileSync(join(d, 'index.txt'), '');
  writeFileSync(join(d, 'serial'), '1000\n');
  writeFileSync(join(d, 'crlnumber'), '1000\n');
  writeFileSync(join(d, 'ca.cnf'), CA_CONFIG(d));
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', `/CN=${name} CA`, '-keyout', join(d, 'ca-key.pem'), '-out', join(d, 'ca.pem'),
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  return { name, dir: d, cert: join(d, 'ca.pem'), key: join(d, 'ca-key.pem') };
}

/** A leaf signed by `ca`: subject `/CN=<cn>[/O=<o>]`, SAN DNS:<cn> (and `sans`), for servers or clients. */
export function issueTestCert(ca: TestCa, file: string, o: { cn: string; org?: string; sans?: string[]; usage: 'server' | 'client' }): TestCert {
  const base = join(ca.dir, file);
  const ext = join(ca.dir, `${file}.ext`);
  writeFileSync(ext, [
    'basicConstraints=CA:FALSE', `extendedKeyUsage=${o.usage === 'server' ? 'serverAuth' : 'clientAuth'}`,
    `subjectAltName=${[o.cn, ...(o.sans ?? [])].map((n) => (/^[\d.]+$/.test(n) ? `IP:${n}` : `DNS:${n}`)).join(',')}`,
  ].join('\n') + '\n');
  openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${o.cn}${o.org ? `/O=${o.org}` : ''}`, '-keyout', `${base}-key.pem`, '-out', `${base}.csr`]);
  openssl(['ca', '-batch', '-config', join(ca.dir, 'ca.cnf'), '-in', `${base}.csr`, '-out', `${base}.pem`, '-extfile', ext, '-notext']);
  writeFileSync(`${base}-bundle.pem`, readFileSync(`${base}.pem`, 'utf8') + readFileSync(`${base}-key.pem`, 'utf8'));
  return { cert: `${base}.pem`, key: `${base}-key.pem`, bundle: `${base}-bundle.pem` };
}

/** Revokes `certs` and writes the CA's CRL (valid two days); returns its path. */
export function testCrl(ca: TestCa, revoke: readonly TestCert[] = []): string {
  for (const c of revoke) openssl(['ca', '-config', join(ca.dir, 'ca.cnf'), '-revoke', c.cert]);
  const out = join(ca.dir, 'crl.pem');
  openssl(['ca', '-config', join(ca.dir, 'ca.cnf'), '-gencrl', '-out', out]);
  return out;
}
