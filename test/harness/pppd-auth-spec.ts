// What real pppd 2.4.9 logs (debug level) when it authenticates with MS-CHAP,
// MS-CHAPv2 or EAP-MD5, as the authenticator ("server") and as the peer being
// authenticated ("client"), and how it exits. Observed with two real pppd in
// user-mode-linux (test/interop/pppd-vs-pppd-auth.test.ts; whole logs in
// test/fixtures/pppd-auth-logs/). dialtone must log the same lines for the same
// events (test/interop/mschap-eap.test.ts).
//
// Only the lines for authentication are listed (packet dumps and messages);
// pppd's own internal debug lines ("added response cache entry 0", "EAP id=0x34
// 'Identify' -> 'MD5Chall'") are left out.

import assert from 'node:assert/strict';

export const AUTH_METHODS = ['mschap', 'mschap-v2', 'eap'] as const;
export type AuthMethod = (typeof AUTH_METHODS)[number];
export type Role = 'server' | 'client';
/** 'refused': the client has refuse-METHOD (and no other method is acceptable to the server). */
export type Outcome = 'ok' | 'wrong-secret' | 'refused';

export interface Names {
  /** `name` of the authenticator. */
  server: string;
  /** `name`/`user` of the authenticated peer. */
  client: string;
}

const ID = '0x[0-9a-f]{1,2}';
const hex = (n: number): string => `[0-9a-f]{${n}}`;
/** EAP value bytes as pppd prints them: "a7 46 82 ...". */
const bytes = (n?: number): string => (n === undefined ? '(?: [0-9a-f]{2})+' : `(?: [0-9a-f]{2}){${n}}`);
const q = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const line = (re: string): RegExp => new RegExp(`^${re}$`, 'm');

/** The LCP auth option the authenticator asks for, as pppd prints it. */
export function authOption(m: AuthMethod): string {
  return m === 'mschap' ? '<auth chap MS>' : m === 'mschap-v2' ? '<auth chap MS-v2>' : '<auth eap>';
}

/** pppd exit status of each side. */
export function exitCodes(o: Outcome): { server: number; client: number } | undefined {
  // With the right secret, the client ends on SIGTERM (5) and the server on
  // the hangup after LCP TermReq (16): exit codes of the harness, not of the method.
  // Refused: the server terminates the link (EXIT_PEER_AUTH_FAILED), the client
  // sees LCP terminated by peer and then the hangup (EXIT_HANGUP).
  if (o === 'wrong-secret') return { server: 11, client: 19 };
  if (o === 'refused') return { server: 11, client: 16 };
  return undefined;
}

/** Lines (regular expressions, one whole log line each, in this order) of `role`'s log. */
export function expectedLines(m: AuthMethod, role: Role, o: Outcome, n: Names): RegExp[] {
  const S = q(n.server);
  const C = q(n.client);
  const sent = role === 'server' ? 'sent' : 'rcvd'; // packets from the server
  const rcvd = role === 'server' ? 'rcvd' : 'sent'; // packets from the client
  const ok = o === 'ok';
  const L: RegExp[] = [];
  if (o === 'refused') {
    // The client Naks the auth option, suggesting CHAP with MD5 (pppd's choice, whatever
    // it refuses); the server, which requires only METHOD, asks again without it,
    // then ends the link once LCP is up.
    L.push(line(`${sent} \\[LCP ConfReq id=${ID} .*${q(authOption(m))}.*\\]`));
    L.push(line(`${rcvd} \\[LCP ConfNak id=${ID} <auth chap MD5>\\]`));
    if (role === 'server') L.push(line('peer refused to authenticate: terminating link'));
    L.push(line(`${sent} \\[LCP TermReq id=${ID} "peer refused to authenticate"\\]`));
    if (role === 'client') L.push(line('LCP terminated by peer \\(peer refused to authenticate\\)'));
    return L;
  }
  L.push(line(`${sent} \\[LCP ConfReq id=${ID} .*${q(authOption(m))}.*\\]`));
  L.push(line(`${rcvd} \\[LCP ConfAck id=${ID} .*${q(authOption(m))}.*\\]`));
  if (m === 'mschap' || m === 'mschap-v2') {
    const v2 = m === 'mschap-v2';
    const ch = v2 ? hex(32) : hex(16);
    // MS-CHAP: 24 octets LM response (zero: pppd never sends one), 24 NT response, flags 1.
    // MS-CHAPv2: 16 peer challenge, 8 zero, 24 NT response, flags 0.
    const resp = v2 ? `${hex(32)}0{16}${hex(48)}00` : `0{48}${hex(48)}01`;
    L.push(line(`${sent} \\[CHAP Challenge id=${ID} <${ch}>, name = "${S}"\\]`));
    L.push(line(`${rcvd} \\[CHAP Response id=${ID} <${resp}>, name = "${C}"\\]`));
    if (ok) {
      L.push(line(`${sent} \\[CHAP Success id=${ID} "${v2 ? 'S=[0-9A-F]{40} M=' : ''}Access granted"\\]`));
      if (role === 'client') {
        if (!v2) L.push(line('CHAP authentication succeeded: Access granted'));
        L.push(line('CHAP authentication succeeded'));
      }
    } else {
      if (role === 'server') L.push(line(`Peer ${C} failed CHAP authentication`));
      L.push(line(`${sent} \\[CHAP Failure id=${ID} "E=691 R=1 C=${ch} V=0${v2 ? ' M=Access denied' : ''}"\\]`));
      if (role === 'client') {
        L.push(line(`MS-CHAP authentication failed: ${v2 ? 'Access denied' : 'E=691 Authentication failure'}`));
        L.push(line('CHAP authentication failed'));
      }
    }
  } else {
    L.push(line(`${sent} \\[EAP Request id=${ID} Identity <Message "Name">\\]`));
    if (role === 'client') L.push(line('EAP: Identity prompt "Name"'));
    L.push(line(`${rcvd} \\[EAP Response id=${ID} Identity <Name "${C}">\\]`));
    if (role === 'server') L.push(line(`EAP: unauthenticated peer name "${C}"`));
    L.push(line(`${sent} \\[EAP Request id=${ID} MD5-Challenge <Value${bytes()}> <Name "${S}">\\]`));
    L.push(line(`${rcvd} \\[EAP Response id=${ID} MD5-Challenge <Value${bytes(16)}> <Name "${C}">\\]`));
    if (ok) {
      L.push(line(`${sent} \\[EAP Success id=${ID}\\]`));
      if (role === 'client') L.push(line('EAP authentication succeeded'));
    } else {
      L.push(line(`${sent} \\[EAP Failure id=${ID}\\]`));
      if (role === 'client') L.push(line('EAP: peer reports authentication failure'));
    }
  }
  if (ok) {
    L.push(line(`local  IP address ${role === 'server' ? '10\\.0\\.0\\.1' : '10\\.0\\.0\\.2'}`));
    L.push(line(`remote IP address ${role === 'server' ? '10\\.0\\.0\\.2' : '10\\.0\\.0\\.1'}`));
  } else {
    L.push(
      line(`sent \\[LCP TermReq id=${ID} "${role === 'server' ? 'Authentication failed' : 'Failed to authenticate ourselves to peer'}"\\]`),
    );
  }
  return L;
}

/** Lines that must not be in `role`'s log. */
export function forbiddenLines(m: AuthMethod, role: Role, o: Outcome): RegExp[] {
  const F: RegExp[] = [];
  if (o === 'refused') F.push(/^(sent|rcvd) \[(CHAP|EAP) /m, /^(local|remote) +IP address/m, /authentication (succeeded|failed)/m);
  else if (o === 'wrong-secret') F.push(/^(local|remote) +IP address/m, /authentication succeeded/m);
  else F.push(/authentication failed/im, /^Peer .* failed/m);
  // MS-CHAPv2's success message is the authenticator response; pppd does not print it.
  if (m === 'mschap-v2' && role === 'client') F.push(/^CHAP authentication succeeded: /m);
  return F;
}

/** Asserts that `log` has the expected lines in order, and none of the forbidden ones. */
export function assertAuthLog(log: string, m: AuthMethod, role: Role, o: Outcome, n: Names, info = ''): void {
  let from = 0;
  for (const re of expectedLines(m, role, o, n)) {
    const rest = log.slice(from);
    const hit = re.exec(rest);
    assert.ok(hit, `${m} ${role} (${o}): no line ${re} ${from ? 'after the previous expected line ' : ''}in the log\n${info}`);
    from += hit.index + hit[0].length;
  }
  for (const re of forbiddenLines(m, role, o)) {
    assert.doesNotMatch(log, re, `${m} ${role} (${o}): unexpected line in the log\n${info}`);
  }
  if (o === 'wrong-secret' && m !== 'eap') {
    // pppd's Failure "C=" is the challenge it sent, unchanged (no new challenge).
    const ch = /\[CHAP Challenge id=0x[0-9a-f]+ <([0-9a-f]+)>/.exec(log);
    const fail = /\[CHAP Failure id=0x[0-9a-f]+ "E=691 R=1 C=([0-9a-f]+) /.exec(log);
    assert.ok(ch && fail, info);
    assert.equal(fail[1], ch[1], `${m} ${role}: Failure C= is the challenge\n${info}`);
  }
}
