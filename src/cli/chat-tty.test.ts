import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const bin = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../bin/dialtone');
const haveTools = spawnSync('socat', ['-V']).status === 0 && spawnSync('stty', ['--version']).status === 0;

/** A pty pair from socat: `a` left with the kernel's cooked defaults, `b` raw for the test. */
function ptyPair(): Promise<{ a: string; b: string; stop(): void }> {
  return new Promise((resolve, reject) => {
    const p = spawn('socat', ['-d', '-d', 'PTY', 'PTY,raw,echo=0'], { stdio: ['ignore', 'ignore', 'pipe'] });
    const names: string[] = [];
    let err = '';
    p.stderr.on('data', (d: Buffer) => {
      err += d.toString();
      for (const m of err.matchAll(/PTY is (\/dev\/pts\/\d+)/g)) if (!names.includes(m[1]!)) names.push(m[1]!);
      if (/starting data transfer loop/.test(err) && names.length === 2) resolve({ a: names[0]!, b: names[1]!, stop: () => p.kill() });
    });
    p.on('exit', () => reject(new Error(`socat ended: ${err}`)));
  });
}

test('dialtone chat on a cooked tty sets it up as chat does (no output processing, ICRNL kept) and restores it', { skip: !haveTools && 'needs socat and stty', timeout: 20_000 }, async () => {
  const { a, b, stop } = await ptyPair();
  try {
    const before = spawnSync('stty', ['-F', a, '-g'], { encoding: 'latin1' }).stdout.trim();
    const far = fs.createReadStream(b);
    far.on('error', () => undefined); // EIO when socat closes the pty at the end
    const farW = fs.createWriteStream(b);
    const fd = fs.openSync(a, 'r+');
    // \n in the send string: with the tty's default OPOST|ONLCR it would go out as \r\n.
    const chat = spawn(process.execPath, [bin, 'chat', '-t', '5', '', 'AT\\n', 'OK', ''], { stdio: [fd, fd, 'pipe'] });
    fs.closeSync(fd);
    let got = Buffer.alloc(0);
    const sent = await new Promise<Buffer>((resolve) => {
      far.on('data', (d: string | Buffer) => {
        got = Buffer.concat([got, Buffer.from(d)]);
        if (got.includes(Buffer.from('\r'))) resolve(got);
      });
    });
    // While chat runs: chat's settings, read from the line.
    const during = spawnSync('stty', ['-F', a, '-a'], { encoding: 'latin1' }).stdout;
    farW.write('OK\r\n');
    const code = await new Promise<number | null>((resolve) => chat.on('exit', resolve));
    far.destroy();
    farW.destroy();
    assert.equal(sent.toString('latin1'), 'AT\n\r', 'the script\'s bytes, exactly (chat adds \\r to a send string)');
    assert.equal(code, 0);
    for (const flag of ['-opost', '-onlcr', '-icanon', '-echo', '-isig', 'ignbrk', 'istrip', 'ignpar', 'icrnl']) {
      assert.match(during, new RegExp(`(^|\\s)${flag.replace('-', '\\-')}(\\s|$)`), flag);
    }
    const after = spawnSync('stty', ['-F', a, '-g'], { encoding: 'latin1' }).stdout.trim();
    assert.equal(after, before, 'settings restored');
  } finally {
    stop();
  }
});
