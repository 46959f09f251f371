// Framed-MTU and MS-*-DNS-Server as the session gets them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sessionMtu, grantedDns } from './radius-session.js';
import { parseIp4 } from '../wire/ipv4.js';

test('Framed-MTU caps the session MTU below the link; never below 576; larger: no change', () => {
  const logs: string[] = [];
  assert.equal(sessionMtu(1200, undefined, (m) => logs.push(m)), 1200);
  assert.deepEqual(logs, ['Framed-MTU 1200: session MTU 1200']);
  assert.equal(sessionMtu(1400, 1492, () => undefined), 1400);
  assert.equal(sessionMtu(1500, 1492, () => undefined), undefined, 'PPPoE 1492 is smaller already');
  assert.equal(sessionMtu(9000, undefined, () => undefined), undefined);
  assert.equal(sessionMtu(undefined, undefined, () => undefined), undefined);
  assert.equal(sessionMtu(300, undefined, (m) => logs.push(m)), 576);
  assert.match(logs.at(-1)!, /raised to IPv4's 576/);
});

test('MS-Primary/Secondary-DNS-Server replace the DNS pair; none: no override', () => {
  assert.deepEqual(grantedDns({ user: 'u', classes: [], dns: ['192.0.2.53', '192.0.2.54'] }), [parseIp4('192.0.2.53'), parseIp4('192.0.2.54')]);
  assert.deepEqual(grantedDns({ user: 'u', classes: [], dns: ['192.0.2.53'] }), [parseIp4('192.0.2.53'), 0]);
  assert.equal(grantedDns({ user: 'u', classes: [] }), undefined);
  assert.equal(grantedDns(undefined), undefined);
});
