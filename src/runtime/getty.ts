/**
 * `dialtone getty`: answers calls on one line the way mgetty does. For each call: run the
 * init-chat, wait for `rings` RINGs, run the answer-chat (skipped on a direct line), then
 * the login dialog (src/getty/dialog.ts); PPP callers and users who type `ppp` get
 * `dialtone pppd` on the line with the line as its stdin/stdout, as mgetty execs pppd;
 * users who type `slip` / `cslip` get SLIP into the userspace NAT (src/slip/standalone.ts).
 * After the call: hang up and re-arm.
 */
import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { openLine, type Line, type LineSpec } from '../lines/line.js';
import { runChat } from './chat-run.js';
import { runPppdChild } from './pppd-child.js';
import type { DialogConfig } from '../getty/dialog.js';
import { runDialog } from './dialog-run.js';
import { serveSlipOnLine } from '../slip/standalone.js';
import type { LoginEntry, MgettyConfig } from '../getty/config.js';

export interface GettyOptions {
  line: LineSpec;
  /** The port name: selects options.PORT and the mgetty.config section (e.g. ttyS0). */
  port: string;
  config: MgettyConfig;
  login: LoginEntry[];
  pppDir: string;
  /** Checks a text login (pap-secrets / system password, as PAP's `login`). */
  checkPassword(user: string, password: string): Promise<boolean>;
  log(msg: string): void;
  /** Serve this many calls, then return (tests); default: forever. */
  calls?: number;
  /** Stops re-arming: the current call finishes, no new one is waited for. */
  signal?: AbortSignal;
}

/** Waits for `count` lines reading RING (the modem's unsolicited result code). */
function waitForRings(line: Line, count: number, log: (m: string) => void): Promise<boolean> {
  return new Promise((resolve) => {
    let seen = 0;
    let text = '';
    const onData = (b: Buffer) => {
      text += b.toString('latin1');
      let nl: number;
      while ((nl = text.search(/[\r\n]/)) >= 0) {
        const word = text.slice(0, nl).trim();
        text = text.slice(nl + 1);
        if (word === 'RING' || word === '2') {
          seen++;
          log(`RING ${seen}/${count}`);
          if (seen >= count) return done(true);
        }
      }
    };
    const onEnd = () => done(false);
    const done = (ok: boolean) => {
      line.stream.off('data', onData);
      line.stream.off('end', onEnd);
      line.stream.off('close', onEnd);
      resolve(ok);
    };
    line.stream.on('data', onData);
    line.stream.on('end', onEnd);
    line.stream.on('close', onEnd);
  });
}

function dialogFor(opts: GettyOptions): DialogConfig {
  const c = opts.config;
  const host = os.hostname();
  let issue = '';
  if (c.issueFile) {
    try {
      issue = fs.readFileSync(c.issueFile, 'latin1').replace(/\r?\n/g, '\r\n');
    } catch {
      opts.log(`cannot read issue-file ${c.issueFile}`);
    }
  }
  return {
    issue: issue || `\r\ndialtone ${host} on ${opts.port}\r\n\r\n`,
    prompt: c.loginPrompt.replace(/@/g, host),
    login: opts.login,
    loginTime: c.loginTime,
    loginPpp: c.loginPpp,
  };
}

/** pppd on the line, with the port's options.PORT first (pppd reads options.ttyS0 itself). */
function runPppd(line: Line, args: string[], opts: GettyOptions): Promise<number | null> {
  const perPort = path.join(opts.pppDir, `options.${opts.port}`);
  const fileArgs = fs.existsSync(perPort) ? ['file', perPort] : [];
  return runPppdChild(line.stream, [...fileArgs, ...args], { pppDir: opts.pppDir, log: opts.log });
}

async function hangup(line: Line, cfg: MgettyConfig): Promise<void> {
  if (!cfg.direct && line.name.startsWith('/dev/')) {
    // A modem on a device: the escape with its guard time, then ATH (no DTR control here).
    await new Promise((r) => setTimeout(r, 1100));
    line.stream.write('+++');
    await new Promise((r) => setTimeout(r, 1100));
    line.stream.write('ATH0\r');
  }
  // On a TCP line to a modem bank, closing the connection is the DTR drop.
  line.close();
}

export async function serveLine(opts: GettyOptions): Promise<void> {
  const c = opts.config;
  for (let served = 0; (opts.calls === undefined || served < opts.calls) && !opts.signal?.aborted; ) {
    let line: Line;
    try {
      line = await openLine(opts.line);
    } catch (err) {
      if (opts.signal?.aborted) return;
      opts.log(`cannot open line: ${(err as Error).message}; retrying in 5 s`);
      await new Promise((r) => setTimeout(r, 5000).unref());
      continue;
    }
    try {
      if (!c.direct) {
        const init = await runChat(c.initChat, line.stream, { timeout: 20, log: (m) => c.debug > 3 && opts.log(`init-chat: ${m}`), verbose: c.debug > 3 });
        if (init.code !== 0) {
          opts.log(`init-chat failed (chat exit ${init.code}); retrying`);
          await new Promise((r) => setTimeout(r, 2000));
          continue;
        }
        opts.log('waiting for a call');
        if (!(await waitForRings(line, c.rings, opts.log))) continue;
        const answer = await runChat(c.answerChat, line.stream, { timeout: c.answerChatTimeout, verbose: c.debug > 3, log: (m) => c.debug > 3 && opts.log(`answer-chat: ${m}`) });
        if (answer.code !== 0) {
          opts.log(`answer-chat failed (chat exit ${answer.code})`);
          served++;
          continue;
        }
      }
      served++;
      opts.log('call connected');
      const result = await runDialog(line.stream, dialogFor(opts), opts);
      if (result.kind === 'ppp') await runPppd(line, result.args, opts);
      else if (result.kind === 'slip') await serveSlipOnLine(line.stream, result.mode, result.user, { log: opts.log });
      else opts.log(`hanging up: ${result.reason}`);
    } finally {
      await hangup(line, c);
      opts.log('line re-armed');
    }
  }
}
