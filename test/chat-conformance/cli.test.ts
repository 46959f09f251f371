/**
 * `dialtone chat`'s run() in-process, with the line and stderr injected (a pipe-like stream, as
 * dialtone allows where chat insists on a terminal). No real chat needed: this covers the
 * adapter's own rules (log routing in place of syslog, report files, errors) that the
 * conformance suite compares only partly.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { run } from '../../src/cli/chat.js';

interface Out {
  code: number;
  line: string;
  stderr: string;
}

/** Run with a modem that answers `rules` (when the line ends with `on`, reply). */
async function runWith(
  args: string[],
  rules: Array<{ on: string; reply: string }> = [],
  extra: { writeFails?: string; env?: Record<string, string>; endInput?: boolean } = {},
): Promise<Out> {
  const stdin = new PassThrough();
  let line = '';
  let stderr = '';
  const pending = [...rules];
  const code = await run(args, {
    stdin,
    writeLine: (d) => {
      if (extra.writeFails && line.length >= extra.writeFails.length) {
        throw Object.assign(new Error('EIO'), { code: 'EIO' });
      }
      line += Buffer.from(d).toString('latin1');
      const i = pending.findIndex((r) => line.endsWith(r.on));
      if (i >= 0) {
        const [r] = pending.splice(i, 1);
        setTimeout(() => stdin.write(Buffer.from(r!.reply, 'latin1')), 2);
      }
    },
    writeStderr: (d) => (stderr += Buffer.from(d).toString('latin1')),
    env: extra.env ?? {},
    handleSignals: false,
  });
  if (extra.endInput) stdin.end();
  return { code, line, stderr };
}

const dial = [{ on: 'ATZ\r', reply: 'ATZ\r\r\nOK\r\n' }];

test('a dial over a non-terminal line', async () => {
  const r = await runWith(['', 'ATZ', 'OK', 'ATDT\\T'], dial);
  assert.deepEqual(r, { code: 0, line: 'ATZ\rATDTT\r', stderr: '' }); // \T without -T: a plain T
});

test('-v without -s: the lines chat gives syslog come out on stderr; -S stops them', async () => {
  const v = await runWith(['-v', '', 'ATZ', 'OK', ''], dial);
  assert.equal(v.stderr, 'send (ATZ^M)\nexpect (OK)\nATZ^M^M\nOK\n -- got it\n\nsend (^M)\n');
  const vs = await runWith(['-v', '-s', '', 'ATZ', 'OK', ''], dial);
  assert.equal(vs.stderr, v.stderr, '-s writes each line once');
  const vS = await runWith(['-v', '-S', '', 'ATZ', 'OK', ''], dial);
  assert.equal(vS.stderr, '');
});

test('without -v only errors pass the syslog mask; -s shows the rest too', async () => {
  const quiet = await runWith(['-t', '1', 'OK', 'x']);
  assert.deepEqual(quiet, { code: 3, line: '', stderr: '' });
  const s = await runWith(['-s', '-t', '1', 'OK', 'x']);
  assert.deepEqual(s, { code: 3, line: '', stderr: 'Failed\n' });
  const err = await runWith(['', '@/nonexistent/file']);
  assert.deepEqual(err, { code: 1, line: '', stderr: '/nonexistent/file -- open failed: No such file or directory\n' });
});

test('usage errors exit 1', async () => {
  const r = await runWith(['-q']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^Usage: dialtone chat \[-e\]/);
});

test('-f: a missing file is fatal with exit 1; a file is read as chat reads it', async () => {
  const r = await runWith(['-f', '/nonexistent/x.chat']);
  assert.deepEqual(r, { code: 1, line: '', stderr: '/nonexistent/x.chat -- open failed: No such file or directory\n' });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chatcli-'));
  try {
    const f = path.join(dir, 'x.chat');
    fs.writeFileSync(f, "# dial\n'' ATZ\nOK ''\n");
    assert.deepEqual(await runWith(['-f', f], dial), { code: 0, line: 'ATZ\r\r', stderr: '' });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('-r: reports appended to the file, with Opening/Closing under -v', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chatcli-'));
  try {
    const f = path.join(dir, 'report');
    fs.writeFileSync(f, 'old\n');
    const r = await runWith(['-v', '-S', '-r', f, 'REPORT', 'CONNECT', '', 'ATD', 'CONNECT', '\\c', 'ogin:', ''], [
      { on: 'ATD\r', reply: '\r\nCONNECT 9600\r\nlogin:' },
    ]);
    assert.equal(r.code, 0);
    assert.match(
      fs.readFileSync(f, 'latin1'),
      new RegExp(`^old\\nOpening "${f}"\\.\\.\\.\\nchat:  [A-Z][a-z]{2} \\d\\d \\d\\d:\\d\\d:\\d\\d CONNECT 9600\\nClosing "${f}"\\.\\n$`),
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('-E takes $VARIABLES from the environment', async () => {
  const r = await runWith(['-E', '', 'ATDT$NUM'], [], { env: { NUM: '5551212' } });
  assert.deepEqual(r, { code: 0, line: 'ATDT5551212\r', stderr: '' });
});

test('a failing write ends chat with exit 1', async () => {
  const r = await runWith(['-s', '-v', '', 'ATDT123'], [], { writeFails: 'ATD' });
  assert.equal(r.code, 1);
  assert.equal(r.line, 'ATD');
  assert.equal(r.stderr, 'send (ATDT123^M)\n -- write failed: Input/output error\nFailed\n');
});
