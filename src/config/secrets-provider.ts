/**
 * pppd's pap-secrets / chap-secrets as the session's Secrets: pppd's best-match lookup,
 * address lists and check_passwd rules (src/config/secrets.ts) behind one interface.
 */
import {
  addressAllowed,
  findSecret,
  papPasswordCheck,
  parseSecrets,
  secretsEqual,
  suggestedAddress,
  type ParseSecretsOptions,
  type SecretEntry,
} from './secrets.js';
import type { SecretMatch, Secrets } from '../ppp/secrets.js';

export interface SecretsFiles {
  pap: SecretEntry[];
  chap: SecretEntry[];
  /** pppd `login`: PAP passwords are checked by the system password database. */
  login?: boolean;
  /** The system password check used with `login` (the daemon supplies PAM or shadow). */
  systemPassword?(user: string, password: string): boolean;
  /** Where pppd would print warnings met during a lookup (indirect secret files). */
  onWarning?(message: string): void;
}

function toMatch(e: SecretEntry): SecretMatch {
  return { secret: e.secret, allowIp: (a) => addressAllowed(e, a), suggested: suggestedAddress(e) };
}

export function fileSecrets(files: SecretsFiles): Secrets {
  const table = (kind: 'pap' | 'chap') => (kind === 'pap' ? files.pap : files.chap);
  return {
    lookup(kind, client, server) {
      const e = findSecret(table(kind), client, server ?? null, { onWarning: files.onWarning });
      return e && toMatch(e);
    },
    hasSecretsFor(kind, client) {
      return findSecret(table(kind), client, null, { needSecret: false }) !== undefined;
    },
    verifyPap(user, password, server) {
      const e = findSecret(files.pap, user, server, { onWarning: files.onWarning });
      if (!e) return undefined;
      const how = papPasswordCheck(e, !!files.login);
      if (how.systemPassword && !(files.systemPassword?.(user, password) ?? false)) return undefined;
      if (how.compareSecret && !secretsEqual(e.secret, password)) return undefined;
      return toMatch(e);
    },
  };
}

/** Parses both files' text (as read by the caller) into a Secrets. */
export function secretsFromText(
  pap: { text: string; file: string } | undefined,
  chap: { text: string; file: string } | undefined,
  opts: ParseSecretsOptions & Omit<SecretsFiles, 'pap' | 'chap'> = {},
): { secrets: Secrets; warnings: string[] } {
  const p = pap ? parseSecrets(pap.text, pap.file, opts) : { entries: [], warnings: [] };
  const c = chap ? parseSecrets(chap.text, chap.file, opts) : { entries: [], warnings: [] };
  return { secrets: fileSecrets({ ...opts, pap: p.entries, chap: c.entries }), warnings: [...p.warnings, ...c.warnings] };
}
