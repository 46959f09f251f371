/**
 * A peer that brings LCP up and renegotiates again and again without ever authenticating
 * (issue "Hostile callers": each LCP-up used to leave an authentication timer behind, and
 * the server grew ~100 MB a minute). On the virtual clock, over a frame link.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import v8 from 'node:v8';
import vm from 'node:vm';
import { Session, defaultSessionOptions } from './session.js';
import { FrameLink } from './link/frame-link.js';
import { staticSecrets } from './secrets.js';
import { Code, emitControl, emitOptions, opt, parseControl, u32 } from './packet.js';
import { PROTO_CHAP, PROTO_LCP } from './protocols.js';
import { LcpOpt } from './lcp.js';
import { seeded, ip } from './testing/pair.js';

// A real collection before each heap sample, also without --expose-gc.
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

const frame = (protocol: number, info: Buffer) => Buffer.concat([Buffer.from([protocol >> 8, protocol & 0xff]), info]);

test('100,000 LCP renegotiations without authentication leave the timers and the heap flat', () => {
  const s = new Session(
    defaultSessionOptions({ name: 'server', requireChap: true, localAddr: ip('10.0.0.1'), remoteAddr: ip('10.0.0.2'), secrets: staticSecrets([{ client: 'fred', server: '*', secret: 'x' }]), randomBytes: seeded('reneg') }),
    0,
    new FrameLink(),
  );
  let now = 0;
  s.start(now);
  let challenges = 0;
  const cycle = (n: number) => {
    // Our Configure-Request (a new one each cycle: RFC 1661 §4.1 RCR+ in Opened renegotiates).
    s.input(frame(PROTO_LCP, emitControl(Code.ConfReq, n & 0xff, emitOptions([opt(LcpOpt.Magic, u32(0x1000 + n))]))), now);
    for (let out = s.takeOutput(); out.length; out = s.takeOutput()) {
      for (const f of out) {
        const proto = f.readUInt16BE(0);
        const pkt = parseControl(f.subarray(2));
        if (proto === PROTO_LCP && pkt?.code === Code.ConfReq) s.input(frame(PROTO_LCP, emitControl(Code.ConfAck, pkt.id, pkt.data)), now);
        if (proto === PROTO_CHAP) challenges++;
      }
    }
    s.takeEvents();
    now += 10;
    s.tick(now);
  };
  const sample = () => ({ timers: s.armedTimers, heap: process.memoryUsage().heapUsed });
  for (let i = 0; i < 2_000; i++) cycle(i);
  gc();
  const before = sample();
  for (let i = 2_000; i < 100_000; i++) cycle(i);
  gc();
  const after = sample();
  assert.ok(challenges >= 99_000, `the server challenged each time LCP came up (${challenges})`);
  assert.equal(s.phase, 'Authenticate');
  assert.ok(after.timers <= before.timers && after.timers <= 4, `armed timers ${before.timers} -> ${after.timers}`);
  // After a collection; keeping one exchange (timer, challenge, closures) per cycle would
  // be tens of MB over 98,000 cycles.
  assert.ok(after.heap - before.heap < 4 * 1024 * 1024, `heap ${before.heap} -> ${after.heap}`);
});
