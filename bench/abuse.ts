/**
 * `npm run abuse`: hostile callers against `dialtone isp` (the CLI, spawned with a temp
 * isp.conf on 127.0.0.1 only). Three attacks in turn: 2,000 idle connections, 300 sending
 * garbage, 300 sending one byte per second, first on the raw PPP port, then on the modem
 * bank (attackers from 127.0.0.1; legitimate callers from 127.0.0.2-6, as distinct
 * clients are); during each, 5 legitimate CHAP callers (PppLink; on the modem bank after
 * `ATDT` and CONNECT, timed from the TCP connect) must reach IP-up within 2 s. Prints each
 * caller's time to IP-up, the server's RSS before, during and after each attack, and the
 * status endpoint's latency.
 */
import net from 'node:net';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn, execSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { PppLink } from '../src/runtime/link.js';
import { runChat } from '../src/runtime/chat-run.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const fdLimit = Number(execSync('ulimit -n', { shell: '/bin/sh' }).toString().trim()) || 1024;
// Each attacker is one descriptor here and one in the server (a separate process).
const IDLE = Math.min(2000, fdLimit - 200);
/** Node flags for the server (ABUSE_NODE_FLAGS, e.g. --max-semi-space-size=1 to bound V8's young generation). */
const nodeFlags = (process.env.ABUSE_NODE_FLAGS ?? '').split(/\s+/).filter(Boolean);

async function main(): Promise<number> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dialtone-abuse-'));
  const conf = path.join(dir, 'isp.conf');
  fs.writeFileSync(conf, 'listen-ppp 127.0.0.1:0\nlisten-modem 127.0.0.1:0\nmodem-lines 64\nmodem-speed 115200\nphone 555-1000\nstatus 127.0.0.1:0\nauth chap\naccount demo dialtone\nmax-sessions 64\n' +
    `accounting ${path.join(dir, 'acct.jsonl')}\nlcp-echo-interval 0\n`);
  const child = spawn(process.execPath, [...nodeFlags, path.join(root, 'bin/dialtone'), 'isp', '--config', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d));
  // ABUSE_STDERR=FILE: the server's log (stderr) appended to FILE.
  child.stderr.on('data', (d: Buffer) => process.env.ABUSE_STDERR && fs.appendFileSync(process.env.ABUSE_STDERR, d));
  for (let i = 0; i < 200 && !/status: http:\/\/[\d.]+:\d+/.test(out); i++) await sleep(50);
  const ppp = Number(/raw PPP on 127\.0\.0\.1:(\d+)/.exec(out)?.[1]);
  const modem = Number(/modem bank .*?on 127\.0\.0\.1:(\d+)/.exec(out)?.[1]);
  const statusUrl = /status: (http:\/\/127\.0\.0\.1:\d+\/status)/.exec(out)?.[1];
  if (!ppp || !modem || !statusUrl) throw new Error(`server did not start: ${out}`);
  const rss = () => {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${child.pid}/status`, 'utf8'));
    return m ? Math.round(Number(m[1]) / 1024) : NaN;
  };
  const statusLatency = async () => {
    const t = performance.now();
    const st = (await (await fetch(statusUrl)).json()) as { admission: Record<string, number>; connections: number; modemBank?: Record<string, number> };
    return { ms: Math.round(performance.now() - t), admission: st.admission, connections: st.connections, modemBank: st.modemBank };
  };

  /** n legitimate callers to IP-up; `viaModem`: dial the modem bank's number first. */
  const callers = async (n: number, viaModem = false) =>
    Promise.all(Array.from({ length: n }, async (_, i) => {
      const t0 = performance.now();
      const sock = viaModem ? net.connect({ port: modem, host: '127.0.0.1', localAddress: `127.0.0.${2 + i}` }) : net.connect(ppp, '127.0.0.1');
      sock.on('error', () => undefined);
      if (viaModem && (await runChat("'' ATZ OK ATDT5551000 CONNECT ''", sock, { timeout: 10 })).code !== 0) {
        sock.destroy();
        return NaN;
      }
      const link = new PppLink(sock, { user: 'demo', password: 'dialtone' });
      const r = await Promise.race([
        new Promise<number>((resolve) => link.on('ip-up', () => resolve(performance.now() - t0))),
        link.done.then(() => NaN),
        sleep(10_000).then(() => NaN),
      ]);
      link.close();
      await Promise.race([link.done, sleep(3000)]);
      return r;
    }));

  console.log(`descriptor limit (ulimit -n): ${fdLimit}; idle attackers: ${IDLE}; all traffic on 127.0.0.1; server node flags: ${nodeFlags.join(' ') || '(none)'}`);
  const baseline = await callers(2);
  await sleep(500);
  const before = rss();
  console.log(`warm-up callers: ${baseline.map((t) => `${t.toFixed(0)} ms`).join(', ')}; server RSS before: ${before} MB; status ${(await statusLatency()).ms} ms`);

  let ok = true;
  const attacks: [string, () => net.Socket[] | Promise<net.Socket[]>, boolean][] = [];
  for (const [where, port, viaModem] of [['PPP port', ppp, false], ['modem bank', modem, true]] as const) {
    attacks.push(
      [`${where}: ${IDLE} idle`, () => open(port, IDLE, () => undefined), viaModem],
      [`${where}: 300 garbage`, () => open(port, 300, (s) => {
        const t = setInterval(() => s.writable && s.write(Buffer.from(Array.from({ length: 512 }, () => (Math.random() * 256) | 0))), 20);
        s.once('close', () => clearInterval(t));
      }), viaModem],
      [`${where}: 300 one-byte-per-second`, () => open(port, 300, (s) => {
        const t = setInterval(() => s.writable && s.write(Buffer.from([viaModem ? 0x41 : 0x7e])), 1000);
        s.once('close', () => clearInterval(t));
      }), viaModem],
    );
  }
  for (const [name, attack, viaModem] of attacks) {
    const t0 = performance.now();
    const socks = await attack();
    const openMs = performance.now() - t0;
    await sleep(1000);
    const during = rss();
    const st = await statusLatency();
    const times = await callers(5, viaModem);
    const got = times.filter((t) => t <= 2000).length;
    ok &&= got === 5;
    const closedByServer = socks.filter((s) => s.destroyed).length;
    console.log(`${name}: opened in ${openMs.toFixed(0)} ms; callers to IP-up: ${times.map((t) => (Number.isNaN(t) ? 'FAILED' : `${t.toFixed(0)} ms`)).join(', ')} (${got}/5 within 2 s)`);
    console.log(`  server RSS during ${during} MB; status latency during ${st.ms} ms; attackers closed by the server so far ${closedByServer}/${socks.length}`);
    console.log(`  admission: ${JSON.stringify({ ...st.admission, limits: undefined })}${viaModem ? `; modem bank: ${JSON.stringify(st.modemBank)}` : ''}`);
    for (const s of socks) s.destroy();
    await sleep(1500);
  }
  // Let the server's heap settle (V8 gives pages back after a few idle GCs), sampling as it goes.
  const samples: number[] = [];
  for (let i = 0; i < 10; i++) {
    await sleep(1000);
    samples.push(rss());
  }
  const after = samples[samples.length - 1]!;
  const st = await statusLatency();
  console.log(`server RSS after the attackers left (1 s samples): ${samples.join(' ')} MB; before ${before} MB (${after - before >= 0 ? '+' : ''}${after - before} MB); live connections ${st.connections}; status latency ${st.ms} ms`);
  ok &&= after - before <= 10;
  child.kill('SIGTERM');
  const code = await new Promise<number | null>((r) => child.once('exit', r));
  console.log(`server exit status after SIGTERM: ${code}`);
  console.log(ok ? 'abuse run: PASS' : 'abuse run: FAIL');
  return ok ? 0 : 1;
}

/** Opens n connections to the PPP port (in batches, so the listen backlog is not the test). */
async function open(port: number, n: number, behave: (s: net.Socket) => void): Promise<net.Socket[]> {
  const socks: net.Socket[] = [];
  for (let i = 0; i < n; i += 100) {
    const batch = Array.from({ length: Math.min(100, n - i) }, () => {
      const s = net.connect(port, '127.0.0.1');
      s.on('error', () => undefined);
      s.resume();
      socks.push(s);
      return new Promise<void>((r) => {
        s.once('connect', () => (behave(s), r()));
        s.once('close', () => r());
      });
    });
    await Promise.all(batch);
  }
  return socks;
}

main().then((code) => process.exit(code), (err) => {
  console.error(err);
  process.exit(2);
});
