// Throwaway X.509 material for EAP-TLS tests, made with the openssl CLI in a temp dir for one
// test run (private keys are never committed): a CA, a server certificate it signs (for
// FreeRADIUS's eap tls) and client certificates it or another CA signs (for pppd's `cert`).

import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export function opensslAvailable(): { ok: boolean; why?: string } {
  const r = spawnSync('sh', ['-c', 'command -v openssl']);
  return r.status === 0 ? { ok: true } : { ok: false, why: 'openssl not installed (Debian openssl)' };
}

export interface Pki {
  dir: string;
  /** A CA (its certificate as `${name}.pem`, key `${name}.key`) with CN `cn`. */
  ca(name: string, cn: string): void;
  /**
   * A key and a certificate signed by CA `caName` (`${name}.pem`, `${name}.key`), with the
   * extended key usage TLS checks for its role (RFC 5280 §4.2.1.12).
   */
  leaf(name: string, cn: string, caName: string, usage: 'serverAuth' | 'clientAuth'): void;
  /** The path of a file in the dir. */
  file(name: string): string;
  read(name: string): string;
  remove(): void;
}

export function makePki(): Pki {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dialtone-pki-'));
  const file = (n: string) => path.join(dir, n);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  return {
    dir,
    file,
    read: (n) => fs.readFileSync(file(n), 'utf8'),
    ca(name, cn) {
      openssl('req', '-x509', '-newkey', 'rsa:2048', '-noenc', '-keyout', `${name}.key`, '-out', `${name}.pem`, '-days', '2', '-sha256',
        '-subj', `/CN=${cn}`, '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
    },
    leaf(name, cn, caName, usage) {
      openssl('req', '-new', '-newkey', 'rsa:2048', '-noenc', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`);
      fs.writeFileSync(file(`${name}.ext`), `basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=${usage}\n`);
      openssl('x509', '-req', '-in', `${name}.csr`, '-CA', `${caName}.pem`, '-CAkey', `${caName}.key`, '-set_serial', `0x${randomBytes(8).toString('hex')}`,
        '-days', '2', '-sha256', '-extfile', `${name}.ext`, '-out', `${name}.pem`);
    },
    remove: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}
