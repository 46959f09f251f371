import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  LINKTYPE_PPP_WITH_DIR,
  PCAP_LINKTYPE,
  pcapHeader,
  pcapPppRecord,
  pcapRecord,
  pppPcapFrame,
  type Direction,
} from './pcap.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

/** PPP control packet: code, identifier, length (RFC 1661 §5). */
function ctl(code: number, id: number, data: Uint8Array): Buffer {
  const p = Buffer.alloc(4 + data.length);
  p[0] = code;
  p[1] = id;
  p.writeUInt16BE(p.length, 2);
  p.set(data, 4);
  return p;
}

/** RFC 1071 Internet checksum. */
function inetChecksum(b: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < b.length; i += 2) sum += (b[i]! << 8) | (b[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

function icmpEcho(type: 0 | 8, src: string, dst: string, id: number, seq: number): Buffer {
  const data = Buffer.from('dialtone ping payload', 'ascii');
  const icmp = Buffer.alloc(8 + data.length);
  icmp[0] = type;
  icmp.writeUInt16BE(id, 4);
  icmp.writeUInt16BE(seq, 6);
  data.copy(icmp, 8);
  icmp.writeUInt16BE(inetChecksum(icmp), 2);
  const ip = Buffer.alloc(20);
  ip[0] = 0x45;
  ip.writeUInt16BE(20 + icmp.length, 2);
  ip.writeUInt16BE(0x1234 + type, 4);
  ip.writeUInt16BE(0x4000, 6); // DF
  ip[8] = 64;
  ip[9] = 1; // ICMP
  Buffer.from(src.split('.').map(Number)).copy(ip, 12);
  Buffer.from(dst.split('.').map(Number)).copy(ip, 16);
  ip.writeUInt16BE(inetChecksum(ip), 10);
  return Buffer.concat([ip, icmp]);
}

const LCP_OPTS = hex('02 06 00 00 00 00   05 06 12 34 56 78   07 02   08 02');

const packets: Array<[Direction, number, Buffer]> = [
  ['out', 0xc021, ctl(1, 1, LCP_OPTS)], // Configure-Request
  ['in', 0xc021, ctl(1, 7, hex('02 06 00 00 00 00  03 04 c0 23  05 06 0a 0b 0c 0d  07 02  08 02'))],
  ['out', 0xc021, ctl(2, 7, hex('02 06 00 00 00 00  03 04 c0 23  05 06 0a 0b 0c 0d  07 02  08 02'))],
  ['in', 0xc021, ctl(2, 1, LCP_OPTS)], // Configure-Ack of ours
  ['out', 0xc021, ctl(9, 2, hex('12 34 56 78'))], // Echo-Request with our magic
  ['in', 0xc021, ctl(10, 2, hex('0a 0b 0c 0d'))], // Echo-Reply
  // PAP Authenticate-Request: peer-id "user", password "pass"
  ['out', 0xc023, ctl(1, 1, Buffer.concat([hex('04'), Buffer.from('user'), hex('04'), Buffer.from('pass')]))],
  ['in', 0xc023, ctl(2, 1, Buffer.concat([hex('02'), Buffer.from('OK')]))],
  ['out', 0x8021, ctl(1, 1, hex('03 06 0a 00 00 01'))], // IPCP Configure-Request, IP-Address
  ['in', 0x8021, ctl(2, 1, hex('03 06 0a 00 00 01'))],
  ['out', 0x0021, icmpEcho(8, '10.0.0.1', '10.0.0.2', 0x4242, 1)],
  ['in', 0x0021, icmpEcho(0, '10.0.0.2', '10.0.0.1', 0x4242, 1)],
];

test('pcap header and record layout', () => {
  assert.equal(PCAP_LINKTYPE, LINKTYPE_PPP_WITH_DIR);
  const h = pcapHeader();
  assert.equal(h.length, 24);
  assert.equal(h.readUInt32LE(0), 0xa1b2c3d4);
  assert.equal(h.readUInt16LE(4), 2);
  assert.equal(h.readUInt16LE(6), 4);
  assert.equal(h.readUInt32LE(20), 204);
  assert.equal(pcapHeader(9).readUInt32LE(20), 9);

  const r = pcapRecord(1_700_000_000_123.4567, hex('aa bb'));
  assert.equal(r.readUInt32LE(0), 1_700_000_000);
  assert.equal(r.readUInt32LE(4), 123_457);
  assert.equal(r.readUInt32LE(8), 2);
  assert.equal(r.readUInt32LE(12), 2);
  assert.deepEqual(r.subarray(16), hex('aa bb'));
  // rounding carries into the next second
  const c = pcapRecord(1999.9999, hex(''));
  assert.equal(c.readUInt32LE(0), 2);
  assert.equal(c.readUInt32LE(4), 0);
  assert.throws(() => pcapRecord(NaN, hex('')), RangeError);

  assert.deepEqual(pppPcapFrame('in', 0xc021, hex('01')), hex('00 ff 03 c0 21 01'));
  assert.deepEqual(pppPcapFrame('out', 0x21, hex('45')), hex('01 ff 03 00 21 45'));
  assert.deepEqual(pcapPppRecord(0, 'out', 0x21, hex('45')).subarray(16), hex('01 ff 03 00 21 45'));
});

test('tshark dissects the capture cleanly (no malformed packets, no warnings)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dialtone-pcap-'));
  try {
    const file = join(dir, 'ppp.pcap');
    const t0 = 1_700_000_000_000;
    const parts = [pcapHeader()];
    packets.forEach(([d, proto, payload], i) => parts.push(pcapPppRecord(t0 + i * 12.5, d, proto, payload)));
    writeFileSync(file, Buffer.concat(parts));

    // tshark wants a writable HOME for its profile directory.  No skip if it
    // is missing: execFileSync throws ENOENT and the test fails, on purpose.
    const env = { ...process.env, HOME: dir, XDG_CONFIG_HOME: dir };
    const run = (args: string[]) =>
      execFileSync('tshark', ['-r', file, ...args], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

    const problems = run(['-Y', '_ws.malformed || _ws.expert.severity >= warning']);
    assert.equal(problems, '', `tshark reported problems:\n${problems}`);

    const summary = run([]);
    const lines = summary.trim().split('\n');
    assert.equal(lines.length, packets.length, summary);
    for (const proto of ['LCP', 'PAP', 'IPCP', 'ICMP']) assert.match(summary, new RegExp(`\\b${proto}\\b`), summary);
    assert.match(summary, /Configuration Request/);
    assert.match(summary, /Configuration Ack/);
    assert.match(summary, /Echo Request/);
    assert.match(summary, /Authenticate-Request/);
    assert.match(summary, /Echo \(ping\) request/);
    assert.match(summary, /Echo \(ping\) reply/);

    // the direction byte survives: Wireshark's P2P_DIR_SENT is 0, RECV 1
    const dirs = run(['-T', 'fields', '-e', 'frame.p2p_dir']).trim().split('\n');
    assert.deepEqual(
      dirs,
      packets.map(([d]) => (d === 'out' ? '0' : '1')),
    );
    for (const [i, [d, proto]] of packets.entries()) {
      if (proto === 0x0021) continue; // IP rows show addresses instead
      assert.match(lines[i]!, d === 'out' ? /DTE → DCE/ : /DCE → DTE/, lines[i]);
    }

    // Negative control: the filter above is not vacuous.  An LCP packet whose
    // Length field claims more than is present must be reported.
    const bad = join(dir, 'bad.pcap');
    const truncated = ctl(1, 1, LCP_OPTS).subarray(0, 10);
    writeFileSync(bad, Buffer.concat([pcapHeader(), pcapPppRecord(t0, 'out', 0xc021, truncated)]));
    const flagged = execFileSync('tshark', ['-r', bad, '-Y', '_ws.malformed || _ws.expert.severity >= warning'], {
      env,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    assert.notEqual(flagged.trim(), '', 'truncated LCP packet was not flagged');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
