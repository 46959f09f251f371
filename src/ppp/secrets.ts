/**
 * How the session asks for secrets. The daemon plugs in pppd's secrets files
 * (src/config/secrets.ts); tests and embedders can plug in anything.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Compares a secret with a supplied password in constant time. Both are hashed first, so
 * timingSafeEqual always sees equal lengths and not even the length leaks (pppd itself
 * uses plain strcmp).
 */
export function secretsEqual(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a, 'utf8').digest();
  const hb = createHash('sha256').update(b, 'utf8').digest();
  return timingSafeEqual(ha, hb);
}

export interface SecretMatch {
  secret: string;
  /** The peer's IP address restrictions from the entry (pppd's address list). */
  allowIp?(addr: number): boolean;
  /** The first single address of the entry: the address the peer gets. */
  suggested?: number;
}

export interface Secrets {
  /** pppd get_secret: the secret `client` uses to authenticate to `server` (undefined = any server). */
  lookup(kind: 'pap' | 'chap', client: string, server: string | undefined): SecretMatch | undefined;
  /** Whether any entry could authenticate `client` (pppd have_pap_secret / have_chap_secret). */
  hasSecretsFor?(kind: 'pap' | 'chap', client: string): boolean;
  /**
   * pppd check_passwd for a PAP server: judges `user`/`password` against the entry for
   * (user, server), including the rules a plain comparison misses (an empty secret, `login`).
   */
  verifyPap?(user: string, password: string, server: string): SecretMatch | undefined;
}

/** A fixed table of secrets, for tests and embedding: `{ client, server, secret }`. */
export function staticSecrets(entries: { client: string; server: string; secret: string }[]): Secrets {
  const matches = (pattern: string, value: string | undefined) => pattern === '*' || value === undefined || pattern === value;
  return {
    lookup: (_kind, client, server) => {
      const e = entries.find((x) => matches(x.client, client) && matches(x.server, server));
      return e ? { secret: e.secret } : undefined;
    },
    hasSecretsFor: (_kind, client) => entries.some((x) => matches(x.client, client)),
  };
}
