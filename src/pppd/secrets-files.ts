/**
 * pap-secrets and chap-secrets from the ppp directory, as pppd uses them (auth.c):
 *
 *  - the files are read again for every link (pppd opens them at each lookup), with pppd's
 *    permission warning ("Warning - secret file ... has world and/or group access");
 *  - a file that cannot be opened is reported where pppd reports it: "Can't open chap secret
 *    file ...: %m" when a CHAP secret is needed (get_secret), "Can't open PAP password file
 *    ...: %m" when a PAP peer is checked (check_passwd); the have_*_secret checks and our own
 *    PAP password lookup stay silent, as in pppd;
 *  - `login`: PAP peers are checked against the system password database (and an `@login`
 *    secret always is); an entry whose secret is "" then accepts exactly what the system
 *    accepts, which is what the seeds' `* * "" *` line relies on.
 */
import fs from 'node:fs';
import path from 'node:path';
import {
  addressAllowed,
  findSecret,
  papPasswordCheck,
  parseSecrets,
  permissionWarning,
  secretsEqual,
  someAddressOk,
  suggestedAddress,
  type SecretEntry,
} from '../config/secrets.js';
import type { SecretMatch, Secrets } from '../ppp/secrets.js';
import { strerror } from './strerror.js';

type Log = (level: 'warn' | 'error', msg: string) => void;

interface LoadedFile {
  file: string;
  entries: SecretEntry[];
  /** Why the file could not be opened (strerror text), if it could not. */
  error?: string;
}

export interface SecretsFiles {
  pap: LoadedFile;
  chap: LoadedFile;
}

function readOne(pppDir: string, name: string, log: Log): LoadedFile {
  const file = path.join(pppDir, name);
  let text: string;
  try {
    text = fs.readFileSync(file, 'latin1');
  } catch (err) {
    return { file, entries: [], error: strerror(err) };
  }
  try {
    const w = permissionWarning(file, fs.statSync(file).mode);
    if (w) log('warn', w);
  } catch (err) {
    log('warn', `cannot stat secret file ${file}: ${strerror(err)}`);
  }
  const readFile = (p: string) => {
    try {
      return { text: fs.readFileSync(p, 'latin1'), mode: fs.statSync(p).mode };
    } catch {
      return undefined;
    }
  };
  const parsed = parseSecrets(text, file, { readFile });
  for (const w of parsed.warnings) log('warn', w);
  return { file, entries: parsed.entries };
}

/** Reads both files now (pppd reads them again at each use; dialtone once per link). */
export function readSecretsFiles(pppDir: string, log: Log): SecretsFiles {
  return { pap: readOne(pppDir, 'pap-secrets', log), chap: readOne(pppDir, 'chap-secrets', log) };
}

function toMatch(e: SecretEntry): SecretMatch {
  return { secret: e.secret, allowIp: (a) => addressAllowed(e, a), suggested: suggestedAddress(e) };
}

export interface SecretsOptions {
  /** pppd `login`. */
  login?: boolean;
  /** The system password check (synchronous: pppd's check_passwd blocks too). */
  systemPassword?(user: string, password: string): boolean;
  log: Log;
}

/** The session's view of the files, with pppd's messages at pppd's moments. */
export function fileSecrets(files: SecretsFiles, opts: SecretsOptions): Secrets {
  const onWarning = (m: string) => opts.log('warn', m);
  return {
    lookup(kind, client, server) {
      const f = kind === 'pap' ? files.pap : files.chap;
      if (f.error !== undefined) {
        // auth.c get_secret (CHAP, either role); get_pap_passwd (our PAP password) is silent.
        if (kind === 'chap') opts.log('error', `Can't open chap secret file ${f.file}: ${f.error}`);
        return undefined;
      }
      const e = findSecret(f.entries, client, server ?? null, { onWarning });
      return e && toMatch(e);
    },
    hasSecretsFor(kind, client) {
      const f = kind === 'pap' ? files.pap : files.chap;
      return findSecret(f.entries, client, null, { needSecret: false }) !== undefined;
    },
    verifyPap(user, password, server) {
      // auth.c check_passwd.
      const f = files.pap;
      if (f.error !== undefined) {
        opts.log('error', `Can't open PAP password file ${f.file}: ${f.error}`);
        return undefined;
      }
      const e = findSecret(f.entries, user, server, { onWarning });
      if (!e) {
        opts.log('warn', `no PAP secret found for ${user}`);
        return undefined;
      }
      const how = papPasswordCheck(e, !!opts.login);
      if (how.systemPassword && !(opts.systemPassword?.(user, password) ?? false)) return undefined;
      if (how.compareSecret && !secretsEqual(e.secret, password)) return undefined;
      return toMatch(e);
    },
  };
}

/**
 * auth.c have_pap_secret / have_chap_secret, for auth_check_options: could the peer
 * authenticate at all? `lacksIp`: an entry exists but allows no IP address.
 */
export function haveSecret(f: LoadedFile, client: string | null, server: string | null): { ok: boolean; lacksIp: boolean } {
  if (f.error !== undefined) return { ok: false, lacksIp: false };
  let c = client;
  let s = server;
  if (c !== null && c === '') c = null;
  else if (s !== null && s === '') s = null;
  const e = findSecret(f.entries, c, s, { needSecret: false });
  if (!e) return { ok: false, lacksIp: false };
  if (!someAddressOk(e)) return { ok: false, lacksIp: true };
  return { ok: true, lacksIp: false };
}

/**
 * Both files as one Secrets, read once, for embedders (dialtone isp, getty): a missing file
 * is an empty one, an unreadable one is reported once ("Can't open secrets file ...").
 */
export function loadSecrets(pppDir: string, warn: (msg: string) => void): Secrets {
  const log: Log = (_level, msg) => warn(msg);
  const files = readSecretsFiles(pppDir, log);
  for (const f of [files.pap, files.chap]) {
    if (f.error === undefined) continue;
    if (f.error !== 'No such file or directory') warn(`Can't open secrets file ${f.file}: ${f.error}`);
    delete f.error;
  }
  return fileSecrets(files, { log });
}
