/**
 * pppd's pap-secrets / chap-secrets as the session's Secrets (auth.c get_secret,
 * check_passwd, have_*_secret): pppd's best-match lookup, address lists, `login` rules and
 * messages at pppd's moments. Pure: the daemon reads the files (src/pppd/secrets-files.ts).
 */
import {
  addressAllowed,
  findSecret,
  papPasswordCheck,
  parseSecrets,
  secretsEqual,
  someAddressOk,
  suggestedAddress,
  type SecretEntry,
} from './secrets.js';
import type { SecretMatch, Secrets } from '../ppp/secrets.js';

export type Log = (level: 'warn' | 'error', msg: string) => void;

export interface LoadedFile {
  file: string;
  entries: SecretEntry[];
  /** Why the file could not be opened (strerror text), if it could not. */
  error?: string;
}

export interface SecretsFiles {
  pap: LoadedFile;
  chap: LoadedFile;
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

/** Both files' text (as read by the caller) as one Secrets: for embedders and tests. */
export function secretsFromText(pap: string, chap: string, opts: SecretsOptions): Secrets {
  const load = (text: string, file: string): LoadedFile => ({ file, entries: parseSecrets(text, file).entries });
  return fileSecrets({ pap: load(pap, 'pap-secrets'), chap: load(chap, 'chap-secrets') }, opts);
}
