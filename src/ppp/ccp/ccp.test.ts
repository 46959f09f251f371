import { test } from 'node:test';
import assert from 'node:assert/strict';
import { end, run, ip, ipUp, type End } from '../testing/pair.js';
import type { CcpProtocol } from './ccp.js';
import type { SessionOptions } from '../session-options.js';

const ccpOf = (e: End) => e.s.protocols.find((p) => p.name === 'CCP') as CcpProtocol;

function pair(a: Partial<SessionOptions> = {}, b: Partial<SessionOptions> = {}) {
  const x = end('server', { localAddr: ip('10.0.0.1'), remoteAddr: ip('10.0.0.2'), ...a });
  const y = end('client', { ...b });
  run(x, y, { stop: () => !!ipUp(x) && !!ipUp(y) && ccpOf(x).isOpen && ccpOf(y).isOpen });
  return { x, y };
}

/** Sends packets one way and returns what the other end delivered, running the pair as it goes. */
function carry(from: End, to: End, packets: Buffer[], cut?: (chunk: Buffer, i: number) => Buffer | undefined): Buffer[] {
  const got: Buffer[] = [];
  let n = 0;
  let now = 1_000_000;
  const pump = () => {
    for (let moved = true; moved; ) {
      moved = false;
      for (const c of from.s.takeOutput()) {
        moved = true;
        const d = cut ? cut(c, n++) : c;
        if (d) to.s.input(d, now);
      }
      for (const c of to.s.takeOutput()) {
        moved = true;
        from.s.input(c, now);
      }
    }
    for (const ev of to.s.takeEvents()) if (ev.type === 'ip') got.push(ev.packet);
    from.s.takeEvents();
  };
  for (const p of packets) {
    from.s.sendIp(p, now);
    pump();
    now += 10;
    from.s.tick(now);
    to.s.tick(now);
    pump();
  }
  for (let i = 0; i < 20; i++) {
    now += 1000;
    from.s.tick(now);
    to.s.tick(now);
    pump();
  }
  return got;
}

function ipPacket(src: string, dst: string, payload: Buffer): Buffer {
  const h = Buffer.alloc(20);
  h[0] = 0x45;
  h.writeUInt16BE(20 + payload.length, 2);
  h[8] = 64;
  h[9] = 17;
  h.writeUInt32BE(ip(src), 12);
  h.writeUInt32BE(ip(dst), 16);
  return Buffer.concat([h, payload]);
}

test('two sessions agree on Deflate 15 both ways by default, as pppd, and log it as pppd does', () => {
  const { x, y } = pair();
  assert.ok(x.logs.includes('Deflate (15) compression enabled'), x.logs.join('\n'));
  assert.ok(y.logs.includes('Deflate (15) compression enabled'));
  assert.deepEqual(ccpOf(x).agreed, { rx: 'Deflate (15)', tx: 'Deflate (15)' });
});

test('IP packets cross Deflate intact, compressible ones smaller on the line', () => {
  const { x, y } = pair();
  const text = Buffer.from('All work and no play makes Jack a dull boy. '.repeat(30));
  const packets = Array.from({ length: 50 }, (_, i) => ipPacket('10.0.0.2', '10.9.9.9', Buffer.concat([Buffer.from(`#${i} `), text])));
  const got = carry(y, x, packets);
  assert.equal(got.length, packets.length);
  got.forEach((g, i) => assert.ok(g.equals(packets[i]!), `packet ${i}`));
  const st = ccpOf(y).stats;
  assert.equal(st.packetsOut, 50);
  assert.ok(st.bytesAfterOut * 10 < st.bytesBeforeOut, `ratio ${st.bytesAfterOut}/${st.bytesBeforeOut}`);
  assert.equal(ccpOf(x).stats.decompressErrors, 0);
});
