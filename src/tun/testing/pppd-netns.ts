/**
 * Test helpers: `dialtone pppd` processes inside network namespaces, each with its own
 * temporary /etc/ppp (DIALTONE_PPP_DIR: ip-up, resolv.conf), run and lock dirs and log file.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Netns } from '../../native/testing/netns.js';
import { waitUntil } from '../../runtime/wait-until.js';

const bin = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../bin/dialtone');

export interface PppdInNs {
  child: ChildProcess;
  dir: string;
  logfile: string;
  log(): string;
  exited: Promise<number | null>;
  /** SIGTERM, then wait for the exit. */
  stop(): Promise<number | null>;
}

/**
 * Start `dialtone pppd ARGS nodetach logfile …` in `ns`. `ipUp` and `ipDown` are shell
 * scripts for the sandbox's /etc/ppp/ip-up and ip-down (made executable); the default ones
 * touch "up" / "down" files in the sandbox, which tests wait for.
 */
export function startPppd(ns: Netns, args: string[], opts: { ipUp?: string; ipDown?: string } = {}): PppdInNs {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dialtone-tun-'));
  for (const d of ['run', 'lock']) fs.mkdirSync(path.join(dir, d));
  const script = (name: string, body: string) => {
    fs.writeFileSync(path.join(dir, name), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  };
  script('ip-up', `${opts.ipUp ?? ''}\ntouch "${dir}/up"`);
  script('ip-down', `${opts.ipDown ?? ''}\ntouch "${dir}/down"`);
  const logfile = path.join(dir, 'log');
  const child = ns.spawn(process.execPath, [bin, 'pppd', ...args, 'nodetach', 'logfile', logfile], {
    DIALTONE_PPP_DIR: dir,
    DIALTONE_RUN_DIR: path.join(dir, 'run'),
    DIALTONE_LOCK_DIR: path.join(dir, 'lock'),
  });
  let stderr = '';
  child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
  child.stdout!.resume();
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const log = () => {
    let text = '';
    try {
      text = fs.readFileSync(logfile, 'utf8');
    } catch {
      /* not yet */
    }
    return text + stderr;
  };
  return {
    child,
    dir,
    logfile,
    log,
    exited,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

/** Waits for the sandbox's ip-up (or ip-down) script to have run. */
export async function waitForScript(p: PppdInNs, which: 'up' | 'down', what: string): Promise<void> {
  let dead = false;
  void p.exited.then(() => (dead = true));
  await waitUntil(() => dead || fs.existsSync(path.join(p.dir, which)), 90_000, what);
  if (!fs.existsSync(path.join(p.dir, which))) throw new Error(`${what}: pppd exited first\n${p.log()}`);
}
