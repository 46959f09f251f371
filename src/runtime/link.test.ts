import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { PppLink, staticSecrets } from '../index.js';

test('the README example: a PPP server and client over TCP on loopback reach IP-up with PAP', async () => {
  const server = net.createServer((socket) => {
    // --- README: server ---
    const link = new PppLink(socket, {
      requirePap: true, localAddr: '10.0.0.1', remoteAddr: '10.0.0.2', msDns: ['10.0.0.53'],
      secrets: staticSecrets([{ client: 'fred', server: '*', secret: 'wilma' }]),
    });
    link.on('ip-up', (ip) => serverUp.push(ip));
  });
  const serverUp: unknown[] = [];
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;

  // --- README: client ---
  const socket = net.connect(port, '127.0.0.1');
  const link = new PppLink(socket, { user: 'fred', password: 'wilma', usePeerDns: true });
  const up = await new Promise<{ local: string; remote: string; dns: string[] }>((resolve) => link.on('ip-up', resolve));
  link.close();
  const status = await link.done;

  assert.deepEqual(up, { local: '10.0.0.2', remote: '10.0.0.1', dns: ['10.0.0.53', '10.0.0.53'] });
  assert.equal(status, 5, "pppd's exit status after a requested close");
  assert.equal(serverUp.length, 1);
  server.close();
});
