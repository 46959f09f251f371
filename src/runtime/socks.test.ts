/** The SOCKS5 server state machine (RFC 1928, RFC 1929), without sockets. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { buildReply, REP, Socks5Server, type SocksAction } from './socks.js';

const hex = (b: Buffer) => b.toString('hex');
const writes = (acts: SocksAction[]) => acts.filter((a) => a.type === 'write').map((a) => hex((a as { data: Buffer }).data));
const kinds = (acts: SocksAction[]) => acts.map((a) => a.type);

function request(cmd: number, atyp: number, addr: number[], port: number): Buffer {
  return Buffer.from([5, cmd, 0, atyp, ...addr, port >> 8, port & 255]);
}
const domain = (name: string) => [name.length, ...Buffer.from(name, 'latin1')];

test('no authentication: greeting, CONNECT to IPv4, success reply with the bound address, pipelined data kept', () => {
  const s = new Socks5Server();
  let a = s.push(Buffer.from([5, 2, 0x02, 0x00]));
  assert.deepEqual(writes(a), ['0500']);
  assert.equal(s.state, 'request');
  a = s.push(Buffer.concat([request(1, 1, [10, 0, 2, 2], 8080), Buffer.from('GET / HTTP/1.0\r\n')]));
  assert.deepEqual(a, [{ type: 'connect', target: { type: 'ipv4', host: '10.0.2.2', port: 8080 } }]);
  assert.equal(s.state, 'connecting');
  assert.deepEqual(s.push(Buffer.from('\r\n')), []);
  assert.equal(hex(s.reply(REP.SUCCEEDED, { addr: '10.0.2.15', port: 50000 })), '050000010a00020fc350');
  assert.equal(s.state, 'open');
  assert.equal(s.takeRest().toString(), 'GET / HTTP/1.0\r\n\r\n');
  assert.deepEqual(s.push(Buffer.from('more')), [], 'open: the adapter splices, the parser is done');
});

test('CONNECT to a domain name (and a dotted quad sent as a name), one byte at a time', () => {
  for (const [name, want] of [['host.dialtone.internal', { type: 'domain', host: 'host.dialtone.internal', port: 80 }], ['10.0.2.2', { type: 'ipv4', host: '10.0.2.2', port: 80 }]] as const) {
    const s = new Socks5Server();
    const all = Buffer.concat([Buffer.from([5, 1, 0]), request(1, 3, domain(name), 80)]);
    const acts: SocksAction[] = [];
    for (const b of all) acts.push(...s.push(Buffer.from([b])));
    assert.deepEqual(acts, [{ type: 'write', data: Buffer.from([5, 0]) }, { type: 'connect', target: want }]);
  }
});

test('error replies: IPv6, unknown address type, BIND, UDP ASSOCIATE, bad request version, bad names', () => {
  const cases: [Buffer, number][] = [
    [request(1, 4, new Array(16).fill(0).map((_, i) => i), 443), REP.ADDRESS_TYPE_NOT_SUPPORTED],
    [request(1, 3, domain('::1'), 80), REP.ADDRESS_TYPE_NOT_SUPPORTED],
    [Buffer.from([5, 1, 0, 9, 1, 2, 3]), REP.ADDRESS_TYPE_NOT_SUPPORTED],
    [request(2, 1, [1, 2, 3, 4], 80), REP.COMMAND_NOT_SUPPORTED],
    [request(3, 1, [0, 0, 0, 0], 0), REP.COMMAND_NOT_SUPPORTED],
    [request(9, 3, domain('x.example'), 1), REP.COMMAND_NOT_SUPPORTED],
    [Buffer.from([4, 1, 0, 1, 1, 2, 3, 4, 0, 80]), REP.GENERAL_FAILURE],
    [request(1, 3, domain('bad name'), 80), REP.HOST_UNREACHABLE],
    [request(1, 3, [0], 80), REP.HOST_UNREACHABLE],
  ];
  for (const [req, rep] of cases) {
    const s = new Socks5Server();
    s.push(Buffer.from([5, 1, 0]));
    const a = s.push(req);
    assert.deepEqual(kinds(a), ['write', 'close'], hex(req));
    assert.equal(writes(a)[0], hex(buildReply(rep)), hex(req));
    assert.equal(s.state, 'closed');
    assert.deepEqual(s.push(Buffer.from([5, 1, 0])), [], 'nothing after the close');
  }
});

test('method negotiation: no acceptable method gets 05 FF; SOCKS4 gets its own rejection; other protocols just close', () => {
  let s = new Socks5Server();
  let a = s.push(Buffer.from([5, 1, 0x02]));
  assert.deepEqual(writes(a), ['05ff']);
  assert.deepEqual(kinds(a), ['write', 'close']);
  s = new Socks5Server();
  assert.deepEqual(writes(s.push(Buffer.from([5, 0]))), ['05ff']);
  s = new Socks5Server();
  a = s.push(Buffer.from([4, 1, 0, 80, 10, 0, 2, 2, 0]));
  assert.deepEqual(writes(a), ['005b000000000000']);
  assert.equal(s.state, 'closed');
  s = new Socks5Server();
  a = s.push(Buffer.from('GET / HTTP/1.1\r\n'));
  assert.deepEqual(kinds(a), ['close']);
});

test('RFC 1929 username/password: required when configured, checked, wrong ones closed with 01 01', () => {
  const auth = { user: 'fred', password: 'wilma' };
  const login = (u: string, p: string, ver = 1) => Buffer.from([ver, u.length, ...Buffer.from(u), p.length, ...Buffer.from(p)]);

  let s = new Socks5Server({ auth });
  assert.deepEqual(writes(s.push(Buffer.from([5, 1, 0]))), ['05ff'], 'no-auth only is not enough');

  s = new Socks5Server({ auth });
  assert.deepEqual(writes(s.push(Buffer.from([5, 2, 0, 2]))), ['0502']);
  assert.equal(s.state, 'auth');
  let a = s.push(Buffer.concat([login('fred', 'wilma'), request(1, 1, [1, 2, 3, 4], 80)]));
  assert.deepEqual(writes(a), ['0100']);
  assert.equal(a.at(-1)!.type, 'connect');
  assert.equal(s.user, 'fred');

  for (const bad of [login('fred', 'barney'), login('barney', 'wilma'), login('fred', 'wilma', 5), login('', 'x')]) {
    s = new Socks5Server({ auth });
    s.push(Buffer.from([5, 1, 2]));
    a = s.push(bad);
    assert.deepEqual(writes(a), ['0101'], hex(bad));
    assert.equal(s.state, 'closed');
  }
  s = new Socks5Server({ auth: (u, p) => u === 'x' && p === '' });
  s.push(Buffer.from([5, 1, 2]));
  assert.deepEqual(writes(s.push(login('x', ''))), ['0100'], 'a checker may accept an empty password');
});

test('failure replies carry the code and 0.0.0.0:0; reply() outside connecting is a programming error', () => {
  const s = new Socks5Server();
  s.push(Buffer.from([5, 1, 0]));
  s.push(request(1, 1, [1, 2, 3, 4], 80));
  assert.equal(hex(s.reply(REP.CONNECTION_REFUSED)), '05050001000000000000');
  assert.equal(s.state, 'closed');
  assert.throws(() => s.reply(REP.SUCCEEDED));
});

test('fuzz: arbitrary bytes in arbitrary chunks never throw; actions stay well-formed', () => {
  fc.assert(fc.property(
    fc.boolean(),
    fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 12 }),
    fc.nat(REP.ADDRESS_TYPE_NOT_SUPPORTED),
    (withAuth, chunks, rep) => {
      const s = new Socks5Server(withAuth ? { auth: { user: 'u', password: 'p' } } : {});
      let closed = false;
      let connects = 0;
      for (const c of chunks) {
        const acts = s.push(Buffer.from(c));
        for (const a of acts) {
          assert.ok(!closed, 'nothing after close');
          if (a.type === 'close') closed = true;
          if (a.type === 'connect') {
            connects++;
            assert.ok(a.target.port >= 0 && a.target.port <= 65535);
            assert.ok(a.target.host.length > 0);
          }
          if (a.type === 'write') assert.ok([2, 8, 10].includes(a.data.length));
        }
        if (s.state === 'connecting') {
          const r = s.reply(rep);
          assert.equal(r.length, 10);
          assert.equal(s.state, rep === 0 ? 'open' : 'closed');
        }
      }
      assert.ok(connects <= 1);
    },
  ), { numRuns: 3000 });
});

test('fuzz: a valid handshake gives the same actions however it is split', () => {
  const nameArb = fc.stringMatching(/^[a-z0-9][a-z0-9.-]{0,40}$/);
  fc.assert(fc.property(
    fc.oneof(
      fc.tuple(fc.constant(1), fc.array(fc.nat(255), { minLength: 4, maxLength: 4 })),
      fc.tuple(fc.constant(3), nameArb.map((n) => domain(n))),
      fc.tuple(fc.constant(4), fc.array(fc.nat(255), { minLength: 16, maxLength: 16 })),
    ),
    fc.integer({ min: 1, max: 3 }),
    fc.nat(65535),
    fc.uint8Array({ maxLength: 30 }),
    fc.array(fc.nat(200), { maxLength: 8 }),
    ([atyp, addr], cmd, port, trailing, cuts) => {
      const all = Buffer.concat([Buffer.from([5, 2, 1, 0]), request(cmd, atyp, addr, port), Buffer.from(trailing)]);
      const whole = new Socks5Server();
      const expect = whole.push(all);
      const split = new Socks5Server();
      const got: SocksAction[] = [];
      const points = [...new Set(cuts.map((c) => c % (all.length + 1)))].sort((a, b) => a - b);
      let at = 0;
      for (const p of [...points, all.length]) {
        got.push(...split.push(all.subarray(at, p)));
        at = p;
      }
      assert.deepEqual(got, expect);
      assert.equal(split.state, whole.state);
      if (whole.state === 'connecting') assert.deepEqual(split.takeRest(), whole.takeRest());
    },
  ), { numRuns: 2000 });
});
