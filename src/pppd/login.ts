/**
 * pppd's `login` option (and the "@login" PAP secret): check a PAP user name and password
 * against the system password database, as pppd 2.4.9's session.c session_start does when
 * built without PAM:
 *
 *   getpwnam(user)            no passwd entry           -> fail
 *   getspnam(user)            no shadow entry           -> fail (so only root can check)
 *   expired (sp_expire, or sp_lstchg + sp_max with 0 <= sp_max < 10000)
 *                             -> "Password for %s has expired" (warn), fail
 *   strlen(hash) < 2          ("", "*", "!")            -> fail
 *   strcmp(crypt(password, hash), hash) != 0            -> fail
 *
 * No PAM: Debian's pppd goes through PAM's "ppp" service, which on a stock system is
 * pam_unix over the same /etc/passwd and /etc/shadow; NSS sources (LDAP, sssd) and PAM
 * account modules are not consulted here.
 *
 * crypt(): Node has none, and Debian 12 hashes with yescrypt ($y$) by default, besides
 * sha512crypt ($6$), sha256crypt ($5$), md5crypt ($1$), bcrypt ($2b$) and DES. No npm package
 * covers yescrypt together with the others, and a native binding would need a compiler in
 * CI. perl is Essential on Debian and its crypt() is the system libcrypt (libxcrypt), the
 * very function pppd calls, so every scheme /etc/shadow can hold works. The helper gets the
 * hash and the password on its standard input, never in argv or the environment, so
 * neither shows in ps or /proc/PID/environ. The result is compared in constant time.
 */
import fs from 'node:fs';
import crypto from 'node:crypto';
import { spawn } from 'node:child_process';
import type { LogFn } from './scripts.js';

const CRYPT_HELPER = 'binmode STDIN; binmode STDOUT; local $/; my $in = <STDIN>; my ($h, $p) = split /\\0/, $in, 2; my $r = crypt(defined $p ? $p : "", $h); print defined $r ? $r : "";';

/** The system's crypt(3) on (password, setting), through perl; undefined when crypt fails. */
export function systemCrypt(password: string, setting: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const child = spawn('perl', ['-e', CRYPT_HELPER], { stdio: ['pipe', 'pipe', 'ignore'], env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } });
    const out: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.on('error', () => resolve(undefined));
    child.on('close', (code) => {
      const r = Buffer.concat(out).toString('latin1');
      resolve(code === 0 && r ? r : undefined);
    });
    child.stdin.on('error', () => undefined);
    // latin1: PAP passwords are bytes; one char per byte keeps them as pppd sees them.
    child.stdin.end(Buffer.concat([Buffer.from(setting, 'latin1'), Buffer.from([0]), Buffer.from(password, 'latin1')]));
  });
}

interface ShadowEntry { hash: string; lstchg: number; max: number; expire: number }

/** Finds NAME's line in a colon-separated file (passwd or shadow format). */
function findEntry(file: string, user: string): string[] | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'latin1');
  } catch {
    return undefined;
  }
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f.length >= 2 && f[0] === user && !line.startsWith('+') && !line.startsWith('-')) return f;
  }
  return undefined;
}

/** glibc's sgetspent: an empty numeric field is -1. */
function num(s: string | undefined): number {
  if (s === undefined || s === '') return -1;
  const n = Number(s);
  return Number.isFinite(n) ? n : -1;
}

function shadowEntry(file: string, user: string): ShadowEntry | undefined {
  const f = findEntry(file, user);
  if (!f || f.length < 9) return undefined;
  return { hash: f[1], lstchg: num(f[2]), max: num(f[4]), expire: num(f[7]) };
}

/**
 * check_passwd copies the PAP password with slprintf("%.*v"): it stops at a NUL byte, and
 * makes unprintable bytes visible (0x80-0xff as "M-" and the low 7 bits, control
 * characters other than tab as "^X"), keeping at most 255 characters. That text is what
 * reaches crypt(), so a password with such bytes never matches, in pppd as here.
 */
export function papVisible(password: string | Buffer): string {
  const bytes = typeof password === 'string' ? Buffer.from(password, 'latin1') : password;
  let out = '';
  for (let c of bytes) {
    if (c === 0) break;
    if (c >= 0x80) {
      out += 'M-';
      c -= 0x80;
    }
    if ((c < 0x20 || c === 0x7f) && c !== 0x09) out += '^' + String.fromCharCode(c ^ 0x40);
    else out += String.fromCharCode(c);
  }
  return out.slice(0, 255);
}

function constantTimeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a, 'latin1');
  const y = Buffer.from(b, 'latin1');
  // Compare equal-length buffers always, so the time does not depend on where they differ.
  const len = Math.max(x.length, y.length);
  const xx = Buffer.alloc(len);
  const yy = Buffer.alloc(len);
  x.copy(xx);
  y.copy(yy);
  return crypto.timingSafeEqual(xx, yy) && x.length === y.length;
}

/**
 * True when `password` is USER's system password. pppd's check, without PAM (see above).
 * `password` is the PAP password as a latin1 string (one char per byte) or a Buffer; it
 * goes through papVisible first, as in pppd. `log` receives pppd's "Password for %s has
 * expired" warning; `now` (ms) is for tests of the expiry rules.
 */
export async function checkSystemPassword(
  user: string,
  password: string | Buffer,
  opts: { shadowFile?: string; passwdFile?: string; log?: LogFn; now?: number } = {},
): Promise<boolean> {
  if (!user) return false;
  if (!findEntry(opts.passwdFile ?? '/etc/passwd', user)) return false;
  const sp = shadowEntry(opts.shadowFile ?? '/etc/shadow', user);
  if (!sp) return false;
  const today = Math.floor((opts.now ?? Date.now()) / 1000 / 86400);
  if ((sp.expire > 0 && today >= sp.expire) || (sp.max >= 0 && sp.max < 10000 && sp.lstchg >= 0 && today >= sp.lstchg + sp.max)) {
    opts.log?.('warn', `Password for ${user} has expired`);
    return false;
  }
  if (sp.hash.length < 2) return false;
  const got = await systemCrypt(papVisible(password), sp.hash);
  if (got === undefined) return false;
  return constantTimeEqual(got, sp.hash);
}
