import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Real CA certificates and CRLs made with the openssl CLI (an expired CA needs `openssl ca` and explicit dates). */
export type CaMaterial = { cert: string; crl: string };

const CONFIG = `[ ca ]
default_ca = ca_default
[ ca_default ]
dir = .
database = index.txt
new_certs_dir = .
serial = serial
crlnumber = crlnumber
default_md = sha256
policy = policy_any
default_crl_days = 30
[ policy_any ]
commonName = supplied
[ req ]
distinguished_name = dn
[ dn ]
[ v3_ca ]
basicConstraints = critical,CA:true
keyUsage = critical,keyCertSign,cRLSign
`;

/** A self-signed CA `cn` and a CRL it signed; `expired`: valid only in January 2020. */
export function makeCa(cn: string, o: { expired?: boolean } = {}): CaMaterial {
  const dir = mkdtempSync(join(tmpdir(), 'lbaas-ca-'));
  try {
    writeFileSync(join(dir, 'ca.cnf'), CONFIG);
    writeFileSync(join(dir, 'index.txt'), '');
    writeFileSync(join(dir, 'serial'), '01\n');
    writeFileSync(join(dir, 'crlnumber'), '01\n');
    const run = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
    if (o.expired) {
      run('req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.csr', '-subj', `/CN=${cn}`, '-config', 'ca.cnf');
      run('ca', '-config', 'ca.cnf', '-selfsign', '-keyfile', 'ca.key', '-in', 'ca.csr', '-out', 'ca.pem', '-startdate', '20200101000000Z',
        '-enddate', '20200201000000Z', '-extensions', 'v3_ca', '-batch', '-notext');
    } else {
      run('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '30', '-subj', `/CN=${cn}`,
        '-extensions', 'v3_ca', '-config', 'ca.cnf');
    }
    run('ca', '-gencrl', '-config', 'ca.cnf', '-keyfile', 'ca.key', '-cert', 'ca.pem', '-out', 'crl.pem', '-batch');
    return { cert: readFileSync(join(dir, 'ca.pem'), 'utf8'), crl: readFileSync(join(dir, 'crl.pem'), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
