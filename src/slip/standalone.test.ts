import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { serveSlipOnLine } from './standalone.js';
import { waitUntil } from '../runtime/wait-until.js';
import { SlipDecoder, slipEncode } from '../wire/slip.js';
import { icmpEchoRequest, parseIp4 } from '../wire/ipv4.js';
import { parseIpv4, parseIcmp, ICMP_ECHO_REPLY } from '../wire/packet.js';

test("a getty line's SLIP: slirp's addresses in the banner, the gateway answers ping, the modem's NO CARRIER ends it", { timeout: 60_000 }, async () => {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const accepted = new Promise<net.Socket>((r) => server.once('connection', r));
  const caller = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
  const line = await accepted;
  const logs: string[] = [];
  const ended = serveSlipOnLine(line, 'slip', 'fred', { log: (m) => logs.push(m) });
  const dec = new SlipDecoder();
  let text = '';
  let replied = false;
  caller.on('data', (b: Buffer) => {
    if (!text.includes('Header compression is off.\r\n')) {
      text += b.toString('latin1');
      return;
    }
    for (const f of dec.push(b)) {
      const ip = parseIpv4(f);
      if (typeof ip === 'string') continue;
      const icmp = parseIcmp(ip);
      if (typeof icmp !== 'string' && icmp.type === ICMP_ECHO_REPLY && ip.src === parseIp4('10.0.2.2')) replied = true;
    }
  });
  await waitUntil(() => text.includes('Header compression is off.\r\n'), 60_000, 'the banner');
  assert.match(text, /^Entering SLIP mode\.\r\nYour IP address is 10\.0\.2\.15, MTU is 1006 bytes\r\nServer address is 10\.0\.2\.2\r\nDNS address is 10\.0\.2\.3\r\n/);
  caller.write(slipEncode(icmpEchoRequest(parseIp4('10.0.2.15')!, parseIp4('10.0.2.2')!, 9, 1)));
  await waitUntil(() => replied, 60_000, 'the echo reply');
  // The caller hangs up: on a modem bank's line the modem says so in the byte stream.
  caller.write('\r\nNO CARRIER\r\n');
  assert.equal(await ended, 'NO CARRIER');
  assert.match(logs.at(-1)!, /SLIP ended \(NO CARRIER\)/);
  caller.destroy();
  line.destroy();
  server.close();
});
