/**
 * The Hayes interpreter (src/modem/hayes.ts): random AT command lines built from the
 * command set, `+++` with and without guard times, binary garbage, long lines, and line
 * events (ring, connected, remote data, hangup, failed calls, DTR) on a virtual clock.
 *
 * Invariants: no throw; output per event bounded (what the event carried plus a few KiB of
 * responses); the command line buffer stays within MAX_COMMAND_LINE (read through the
 * private `buf`); a valid phase; a finite next deadline; each event < 2 s.
 * hayes-scaling: time for one long line grows roughly linearly.
 */
import fc from 'fast-check';
import { HayesModem, MAX_COMMAND_LINE, type ModemOutput } from '../../src/modem/hayes.js';
import { invariant, timed, cpuMs, judgeScaling, type Counter, type Target } from '../lib.js';

export type HayesStep =
  | { kind: 'dte'; data: string }
  | { kind: 'remote'; data: string }
  | { kind: 'ring' }
  | { kind: 'connected'; speed?: number }
  | { kind: 'hangup' }
  | { kind: 'failed'; reason: 'busy' | 'no-answer' | 'no-carrier' | 'no-dialtone' }
  | { kind: 'dtr'; on: boolean }
  | { kind: 'time'; dt: number };

const PHASES = new Set(['command', 'dialing', 'answering', 'online', 'online-command']);
const OUTPUT_SLACK = 16 * 1024;

const enc = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0) & 0xff);

export function check(steps: HayesStep[], counter: Counter = { n: 0 }): void {
  const m = new HayesModem();
  let now = 1_000_000;
  for (const st of steps) {
    let input = 0;
    const out: ModemOutput[] = timed(`hayes ${st.kind}`, 2000, () => {
      switch (st.kind) {
        case 'dte': counter.n++; input = st.data.length; return m.fromDte(enc(st.data), now);
        case 'remote': input = st.data.length; return m.fromRemote(enc(st.data), now);
        case 'ring': return m.ring(now);
        case 'connected': return m.connected(now, st.speed);
        case 'hangup': return m.remoteHangup(now);
        case 'failed': return m.callFailed(st.reason, now);
        case 'dtr': return m.setDtr(st.on, now);
        case 'time': {
          // Advance as an owner does: every deadline on the way.
          const end = now + st.dt;
          const all: ModemOutput[] = [];
          for (let i = 0; i < 1000; i++) {
            const d = m.nextDeadline();
            if (d === undefined || d > end) break;
            now = Math.max(now, d);
            all.push(...m.tick(now));
          }
          now = end;
          all.push(...m.tick(now));
          return all;
        }
      }
    });
    let size = 0;
    for (const o of out) if (o.type === 'dte' || o.type === 'remote') size += o.data.length;
    // &V, I-commands and a dial echo can print a few KiB; echoed/passed-through data is input sized.
    invariant(size <= 2 * input + OUTPUT_SLACK, `hayes: ${size} octets out for a ${st.kind} event of ${input} octets`);
    invariant(out.length <= 2 * input + 256, `hayes: ${out.length} outputs for one event`);
    const buf = (m as unknown as { buf: string }).buf;
    invariant(buf.length <= MAX_COMMAND_LINE + 2, `hayes: command buffer holds ${buf.length} chars`);
    invariant(PHASES.has(m.phase), `hayes: phase ${m.phase}`);
    const d = m.nextDeadline();
    invariant(d === undefined || Number.isFinite(d), `hayes: next deadline ${d}`);
  }
}

// ---- arbitraries ---------------------------------------------------------------------------

const CMDS = ['Z', 'E0', 'E1', 'Q0', 'Q1', 'V0', 'V1', 'X0', 'X4', 'H', 'H0', 'H1', 'A', 'O', 'D', 'DT5551212', 'DP', 'DT', 'D;', 'DL', 'DS=0', 'D>0', 'Dtcp:127.0.0.1:1',
  '&F', '&W', '&W1', '&Y1', '&Z0=5551212', '&V', '&C1', '&D2', '&D3', '&K3', 'I', 'I0', 'I3', 'I9', 'S0=1', 'S0?', 'S2=43', 'S2=255', 'S7=1', 'S12=1', 'S12=255', 'S30=1', 'S255=9', 'S999999999=1',
  '+CGMI', '+GMM', '+GCAP', '+IPR=115200', '+IPR?', '+IFC=2,2', 'L', 'M', 'N', 'W', '\\N3', '%C', 'B', 'Y', 'T', 'P', '?', '=', 'S', '&'];
const atCmd = fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...CMDS) }, { weight: 1, arbitrary: fc.string({ maxLength: 6 }) }, { weight: 1, arbitrary: fc.nat(4294967295).map(String) });
const atLine = fc
  .tuple(fc.constantFrom('AT', 'at', 'At', 'A/', 'a/', 'A', 'T'), fc.array(fc.tuple(atCmd, fc.constantFrom('', '', ' ', ';')), { maxLength: 10 }), fc.constantFrom('\r', '\r\n', '\n', '', '\r\r', '\x08\r'))
  .map(([a, cs, end]) => a + cs.map(([c, sep]) => c + sep).join('') + end);
const garbage = fc.string({ unit: 'binary', maxLength: 80 });
const longLine = fc.tuple(fc.constantFrom('AT', 'ATD', 'ATS0=', 'AT&Z0=', 'xx'), fc.integer({ min: 200, max: 6000 }), fc.constantFrom('1', 'A', ' ', '\x08', '+')).map(([p, n, c]) => p + c.repeat(n) + '\r');
const dte = fc.oneof({ weight: 6, arbitrary: atLine }, { weight: 2, arbitrary: garbage }, { weight: 1, arbitrary: longLine }, { weight: 2, arbitrary: fc.constantFrom('+++', '+', '++', '+++AT\r', 'ATO\r', 'ATH\r', 'ATA\r', 'ATD5551212\r') });

const step: fc.Arbitrary<HayesStep> = fc.oneof(
  { weight: 10, arbitrary: dte.map((data) => ({ kind: 'dte' as const, data })) },
  { weight: 2, arbitrary: fc.oneof(garbage, fc.constantFrom('RING\r', 'NO CARRIER\r', '+++')).map((data) => ({ kind: 'remote' as const, data })) },
  { weight: 1, arbitrary: fc.constant({ kind: 'ring' as const }) },
  { weight: 1, arbitrary: fc.option(fc.oneof(fc.constantFrom(300, 33600, 0), fc.integer())).map((speed) => (speed === null ? { kind: 'connected' as const } : { kind: 'connected' as const, speed })) },
  { weight: 1, arbitrary: fc.constant({ kind: 'hangup' as const }) },
  { weight: 1, arbitrary: fc.constantFrom('busy' as const, 'no-answer' as const, 'no-carrier' as const, 'no-dialtone' as const).map((reason) => ({ kind: 'failed' as const, reason })) },
  { weight: 1, arbitrary: fc.boolean().map((on) => ({ kind: 'dtr' as const, on })) },
  { weight: 3, arbitrary: fc.oneof(fc.nat(50), fc.nat(3000), fc.nat(200_000)).map((dt) => ({ kind: 'time' as const, dt })) },
);

export const hayesTarget: Target<HayesStep[]> = {
  name: 'hayes',
  unit: 'commands',
  longCount: 1_000_000,
  runsPerBatch: 100,
  module: '../../fuzz/targets/hayes.js',
  arbitrary: () => fc.array(step, { maxLength: 40 }),
  check,
};

// ---- scaling ------------------------------------------------------------------------------

export interface HayesScaling {
  /** Online (data passes through) or command mode (echo). */
  mode: 'command' | 'online' | 'online-remote';
  chunk: 1 | 'all';
}

function feed(c: HayesScaling, n: number): number {
  const m = new HayesModem();
  let now = 1_000_000;
  if (c.mode !== 'command') {
    m.fromDte(enc('ATD5551212\r'), now);
    m.connected((now += 100));
  }
  const data = enc('ATxyz'.repeat(n / 5));
  now += 2000;
  const t0 = cpuMs();
  if (c.chunk === 'all') {
    if (c.mode === 'online-remote') m.fromRemote(data, now);
    else m.fromDte(data, now);
  } else {
    // One call per octet, outputs left to accumulate between calls as a slow owner would.
    for (let i = 0; i < data.length; i++) {
      if (c.mode === 'online-remote') m.fromRemote(data.subarray(i, i + 1), now);
      else m.fromDte(data.subarray(i, i + 1), now);
    }
  }
  return cpuMs() - t0;
}

/** Same rule as config-scaling: t(10n) < 30 t(n) + 50 ms. */
export function checkScaling(c: HayesScaling, counter: Counter = { n: 0 }): void {
  counter.n += 2;
  judgeScaling(() => {
    const small = Math.min(feed(c, 5000), feed(c, 5000));
    const first = feed(c, 50_000);
    return { small, large: first > 100 ? first : Math.min(first, feed(c, 50_000)) };
  }, (small, large) => `hayes ${c.mode}/${c.chunk}: ${small.toFixed(1)} ms for 5k octets, ${large.toFixed(1)} ms for 50k (superlinear)`);
}

export const hayesScalingTarget: Target<HayesScaling> = {
  name: 'hayes-scaling',
  unit: 'inputs',
  longCount: 12,
  runsPerBatch: 6,
  module: '../../fuzz/targets/hayes.js',
  arbitrary: () => fc.record({ mode: fc.constantFrom('command' as const, 'online' as const, 'online-remote' as const), chunk: fc.constantFrom(1 as const, 'all' as const) }),
  check: checkScaling,
};
