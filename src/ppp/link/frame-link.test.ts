import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FrameLink } from './frame-link.js';
import { staticSecrets } from '../secrets.js';
import { end, run, ip, ipUp } from '../testing/pair.js';

test('two sessions over a frame-oriented link (no HDLC) authenticate with CHAP and reach IP-up', () => {
  const secrets = staticSecrets([{ client: 'client', server: 'server', secret: 'wilma' }]);
  const a = end('server', { requireChap: true, secrets, localAddr: ip('10.0.0.1'), remoteAddr: ip('10.0.0.2') }, new FrameLink());
  const b = end('client', { secrets }, new FrameLink());
  const frames: Buffer[] = [];
  // Watch what crosses the "line": whole frames, Protocol field first, no flags or FCS.
  const orig = a.s.takeOutput.bind(a.s);
  a.s.takeOutput = () => {
    const out = orig();
    frames.push(...out);
    return out;
  };
  run(a, b, { stop: () => !!ipUp(a) && !!ipUp(b) });
  assert.equal(ipUp(b)?.local, ip('10.0.0.2'));
  assert.ok(a.events.some((e) => e.type === 'auth-up' && e.peerName === 'client' && e.protocol === 'chap-md5'));
  assert.ok(frames.length > 3);
  assert.deepEqual([...frames[0]!.subarray(0, 2)], [0xc0, 0x21], 'first frame is LCP, no address/control, no flag');
  assert.ok(frames.every((f) => f[0] !== 0x7e && f[f.length - 1] !== 0x7e));
});

test('a frame link takes a compressed Protocol field and optional FF 03; it drops frames with an impossible Protocol', () => {
  const link = new FrameLink({ addressControl: true });
  const got: [number, string][] = [];
  const take = (p: number, i: Buffer) => got.push([p, i.toString('hex')]);
  link.input(Buffer.from([0x21, 0x45, 0x00]), take, () => true);
  link.input(Buffer.from([0xff, 0x03, 0xc0, 0x21, 0x01]), take, () => true);
  link.input(Buffer.from([0xc0, 0x20]), take, () => true); // last octet of a Protocol must be odd
  link.input(Buffer.alloc(0), take, () => true);
  assert.deepEqual(got, [[0x21, '4500'], [0xc021, '01']]);
  assert.equal(link.stats.dropped, 2);
  assert.deepEqual([...link.encode(0x21, Buffer.from([1]))], [0xff, 0x03, 0x00, 0x21, 1]);
  link.configure({ txAccm: 0, rxAccm: 0, pfc: true, acfc: true });
  assert.deepEqual([...link.encode(0x21, Buffer.from([1]))], [0xff, 0x03, 0x21, 1]);
});
