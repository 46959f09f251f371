// docs/clients/linux-pppd.md, run for real: the guide's two real-pppd command lines (raw PPP
// over TCP, and the modem bank dialled by chat) with real pppd 2.4.9 and real chat inside
// user-mode-linux against `dialtone isp`. The guide's `pty "socat - TCP:..."` is the host
// side of the line; in UML the harness puts the same TCP connection on /dev/ttyS0, so the
// options after it are run as written (plus `local`: a pty has no modem lines).
//
// DIALTONE_SKIP_INTEROP=1 skips these tests; otherwise a missing UML fails them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startPppdPeer, umlAvailable } from '../harness/uml.js';
import { IspServer } from '../../src/isp/server.js';
import { defaultIspConfig } from '../../src/isp/config.js';
import { staticSecrets } from '../../src/ppp/secrets.js';
import { blocks, commands, shellWords } from '../docs/markdown.js';

const skip = process.env.DIALTONE_SKIP_INTEROP === '1' ? 'DIALTONE_SKIP_INTEROP=1' : false;
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

function guidePppdLines(): string[][] {
  const md = fs.readFileSync(path.join(ROOT, 'docs/clients/linux-pppd.md'), 'utf8');
  return blocks(md)
    .filter((b) => b.lang === 'sh')
    .flatMap((b) => commands(b.text))
    .filter((c) => c.startsWith('sudo pppd pty '))
    .map((c) => shellWords(c).slice(2));
}

for (const [i, kind] of (['raw PPP on listen-ppp', 'chat through the modem bank'] as const).entries()) {
  test(`linux-pppd guide, real pppd in UML: ${kind} reaches IP-up on dialtone isp and pings the gateway`, { skip, timeout: 120_000 }, async () => {
    assert.ok(umlAvailable().ok, `user-mode-linux harness unavailable: ${umlAvailable().why}`);
    const words = guidePppdLines()[i];
    assert.ok(words, `the guide's pppd line ${i + 1}`);
    assert.equal(words[0], 'pty');
    const target = /TCP:127\.0\.0\.1:(\d+)/.exec(words[1]!)?.[1];
    assert.ok(target === '2323' || target === '6400', words[1]);
    const args = ['local', ...words.slice(2).filter((w) => w !== 'nodetach')];
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dialtone-guide-uml-'));
    const isp = new IspServer({
      config: {
        ...defaultIspConfig(),
        listenPpp: { host: '127.0.0.1', port: 0 },
        listenModem: { host: '127.0.0.1', port: 0 },
        accounting: path.join(dir, 'acct'),
        lcpEchoInterval: 0,
      },
      secrets: staticSecrets([{ client: 'demo', server: '*', secret: 'dialtone' }]),
      log: () => undefined,
    });
    await isp.start();
    try {
      const port = target === '2323' ? isp.addresses.ppp!.port : isp.addresses.modem!.port;
      const peer = await startPppdPeer({
        line: 'listen',
        port,
        pppdArgs: args.map((a) => a.replace(/^chat /, '/usr/sbin/chat ')),
        after: 'ping -c 2 -W 2 10.0.2.2',
        timeoutMs: 100_000,
      });
      const r = await peer.done;
      const why = `pppd ${args.join(' ')} (exit ${r.exitCode})\n${r.log}`;
      assert.match(r.log, /local {2}IP address 10\.0\.2\.15/, why);
      assert.match(r.log, /remote IP address 10\.0\.2\.2/, why);
      assert.match(r.log, /primary {3}DNS address 10\.0\.2\.3/, why);
      assert.equal(r.afterRc, 0, `ping: ${r.afterOutput}\n${why}`);
      if (target === '6400') assert.match(r.log, /Serial connection established|Connect: ppp0/, why);
    } finally {
      await isp.stop();
    }
  });
}
