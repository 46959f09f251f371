import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Duplex } from 'node:stream';
import { runDialog } from './dialog-run.js';
import { parseLoginConfig } from '../getty/config.js';

/** The caller's side is `push`ed in; what the dialog writes is collected. */
function line(): { stream: Duplex; written: Buffer[] } {
  const written: Buffer[] = [];
  const stream = new Duplex({
    read() {},
    write(chunk: Buffer, _enc, cb) {
      written.push(chunk);
      cb();
    },
  });
  return { stream, written };
}

test('AutoPPP replays the caller\'s first LCP frame to the PPP reader that takes over the line', async () => {
  const { stream } = line();
  const login = parseLoginConfig('/AutoPPP/ - a_ppp /usr/sbin/pppd\n', 'login.config').value;
  const ended = runDialog(stream, { issue: '', prompt: 'login: ', login, loginTime: 0, loginPpp: false }, { checkPassword: async () => false, log: () => undefined });
  const frame = Buffer.from('7eff7d23c0217d217d217d207d2e7d227d26ffff7e', 'hex');
  stream.push(frame);
  const end = await ended;
  assert.equal(end.kind, 'ppp');
  assert.equal(end.kind === 'ppp' && end.replayed, frame.length);
  // The next reader (here an in-process link's 'data' listener, attached later) gets the frame.
  await new Promise((r) => setImmediate(r));
  const got: Buffer[] = [];
  const done = new Promise<void>((resolve) => {
    stream.on('data', (b: Buffer) => {
      got.push(b);
      if (Buffer.concat(got).length >= frame.length + 2) resolve();
    });
  });
  stream.push(Buffer.from('7e7e', 'hex')); // and what the caller sends after it, in order
  await done;
  assert.deepEqual(Buffer.concat(got), Buffer.concat([frame, Buffer.from('7e7e', 'hex')]));
});
