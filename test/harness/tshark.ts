// tshark checks of a PPP capture (dialtone's `pcap FILE`, or one made from a
// socat dump by line-pcap.ts): problems Wireshark reports, and how it decodes
// the CHAP and EAP packets.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import os from 'node:os';

const PROBLEM_FILTER = '_ws.malformed || _ws.expert.severity >= warning';

function tshark(args: string[]): string {
  // HOME: tshark wants a writable profile directory; stderr: "Running as user root..."
  return execFileSync('tshark', args, {
    encoding: 'utf8',
    env: { ...process.env, HOME: os.tmpdir() },
    stdio: ['ignore', 'pipe', 'ignore'],
    timeout: 30_000,
    maxBuffer: 64 * 1024 * 1024,
  });
}

/** `tshark -r FILE -Y '_ws.malformed || _ws.expert.severity >= warning'`: the frames with a problem. */
export function tsharkProblemFrames(pcap: string): string {
  return tshark(['-r', pcap, '-Y', PROBLEM_FILTER]);
}

export interface ExpertRow {
  severity: string;
  count: number;
  group: string;
  protocol: string;
  summary: string;
}

/** `tshark -q -z expert,warn`: every expert item of severity warning or error (malformed packets included). */
export function tsharkExpert(pcap: string): ExpertRow[] {
  const rows: ExpertRow[] = [];
  let severity = '';
  for (const l of tshark(['-r', pcap, '-q', '-z', 'expert,warn']).split('\n')) {
    const h = /^(Errors|Warns|Notes|Chats|Comments) \(\d+\)$/.exec(l.trim());
    if (h) {
      severity = h[1];
      continue;
    }
    const m = /^\s+(\d+)\s+(\S+)\s+(\S+)\s+(.*)$/.exec(l);
    if (m && severity) rows.push({ severity, count: Number(m[1]), group: m[2], protocol: m[3], summary: m[4].trim() });
  }
  return rows;
}

/**
 * tshark 4.0 puts a Warning (group Security) on every EAP-MD5 packet, whoever sends it:
 * "Vulnerable to MITM attacks. If possible, change EAP type." It is about the method, not the
 * packet: real pppd's own EAP-MD5 exchange has it too. It is the only one tolerated.
 */
export const METHOD_ADVISORIES = [{ group: 'Security', protocol: 'EAP', summary: 'Vulnerable to MITM attacks. If possible, change EAP type.' }];

/**
 * TCP's sequence analysis ("Previous segment(s) not captured", retransmissions, dup ACKs) on a
 * capture of a real network device: a frame the capture or the device dropped on a loaded
 * machine, which TCP recovers from (the tests check the payload's sha256). It says nothing about
 * how our frames are built, so a test that captures a device (not our own `pcap`) may pass it.
 */
export const TCP_LOSS_NOTES = [{ group: 'Sequence', protocol: 'TCP' }];

/** Expert items of severity >= warning (and malformed packets) other than METHOD_ADVISORIES and `tolerated`. */
export function tsharkUnexpectedProblems(pcap: string, tolerated: Array<{ group: string; protocol: string }> = []): ExpertRow[] {
  return tsharkExpert(pcap).filter(
    (r) =>
      !METHOD_ADVISORIES.some((a) => a.group === r.group && a.protocol === r.protocol && a.summary === r.summary) &&
      !tolerated.some((a) => a.group === r.group && a.protocol === r.protocol),
  );
}

/** `tshark -r FILE -V`. */
export function tsharkVerbose(pcap: string): string {
  return tshark(['-r', pcap, '-V']);
}

function fields(pcap: string, filter: string, names: string[]): string[][] {
  const out = tshark(['-r', pcap, '-Y', filter, '-T', 'fields', ...names.flatMap((n) => ['-e', n])]);
  return out
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => l.split('\t'));
}

const hexOf = (s: string): string => Buffer.from(s, 'latin1').toString('hex');

/**
 * Asserts how tshark decodes the authentication in `pcap`, written by the side
 * `role` ('server': the authenticator, its Challenge/Request packets are "Sent").
 * Methods: 'mschap-v2' and 'eap' (MD5-Challenge); names as in pppd-auth-spec.ts.
 */
export function assertAuthDecoded(
  pcap: string,
  method: 'mschap' | 'mschap-v2' | 'eap',
  role: 'server' | 'client',
  names: { server: string; client: string },
  info = '',
): void {
  const V = tsharkVerbose(pcap);
  const why = `${info}\n--- tshark -V ${pcap}\n${V}`;
  // p2p_dir: 0 sent by the capturing host, 1 received.
  const fromServer = role === 'server' ? '0' : '1';
  const fromClient = role === 'server' ? '1' : '0';
  if (method === 'eap') {
    assert.match(V, /^ {8}Authentication Protocol: Extensible Authentication Protocol \(0xc227\)$/m, why);
    assert.match(V, /^Extensible Authentication Protocol$/m, why);
    assert.match(V, /^ {4}Type: Identity \(1\)$/m, why);
    assert.match(V, new RegExp(`^ {4}Identity: ${names.client}$`, 'm'), why);
    assert.match(V, /^ {4}Type: MD5-Challenge EAP \(EAP-MD5-CHALLENGE\) \(4\)$/m, why);
    assert.match(V, /^ {4}EAP-MD5 Value-Size: 16$/m, why);
    assert.match(V, /^ {4}Code: Success \(3\)$/m, why);
    const rows = fields(pcap, 'eap', ['frame.p2p_dir', 'eap.code', 'eap.type', 'eap.identity', 'eap.md5.value_size', 'eap.md5.extra_data']);
    const [idReq, idResp, md5Req, md5Resp, success] = rows;
    assert.equal(rows.length, 5, `EAP: Identity Request/Response, MD5 Request/Response, Success\n${why}`);
    assert.deepEqual(idReq.slice(0, 3), [fromServer, '1', '1'], why);
    assert.deepEqual(idResp.slice(0, 4), [fromClient, '2', '1', names.client], why);
    assert.deepEqual([md5Req[0], md5Req[1], md5Req[2], md5Req[5]], [fromServer, '1', '4', hexOf(names.server)], why);
    assert.deepEqual([md5Resp[0], md5Resp[1], md5Resp[2], md5Resp[4], md5Resp[5]], [fromClient, '2', '4', '16', hexOf(names.client)], why);
    assert.deepEqual(success.slice(0, 2), [fromServer, '3'], why);
    assert.equal(idReq[0] !== undefined && idResp[0] !== undefined, true);
    return;
  }
  const v2 = method === 'mschap-v2';
  assert.match(V, new RegExp(`^ {12}Algorithm: ${v2 ? 'MS-CHAP-2 \\(129\\)' : 'MS-CHAP \\(128\\)'}$`, 'm'), why);
  assert.match(V, /^PPP Challenge Handshake Authentication Protocol$/m, why);
  assert.match(V, /^ {4}Code: Challenge \(1\)$/m, why);
  assert.match(V, /^ {4}Code: Response \(2\)$/m, why);
  assert.match(V, /^ {8}Value Size: 49$/m, why);
  assert.match(V, new RegExp(`^ {8}Name: ${names.server}$`, 'm'), why);
  assert.match(V, new RegExp(`^ {8}Name: ${names.client}$`, 'm'), why);
  assert.match(V, /^ {4}Code: Success \(3\)$/m, why);
  const rows = fields(pcap, 'chap', ['frame.p2p_dir', 'chap.code', 'chap.value_size', 'chap.name', 'chap.message']);
  assert.equal(rows.length, 3, `CHAP: Challenge, Response, Success\n${why}`);
  assert.deepEqual(rows[0].slice(0, 4), [fromServer, '1', v2 ? '16' : '8', names.server], why);
  assert.deepEqual(rows[1].slice(0, 4), [fromClient, '2', '49', names.client], why);
  assert.deepEqual(rows[2].slice(0, 2), [fromServer, '3'], why);
  assert.match(rows[2][4], v2 ? /^S=[0-9A-F]{40} M=Access granted$/ : /^Access granted$/, why);
}
