// Two real pppd 2.4.9, each in its own user-mode-linux, joined through the
// host: the server's socat listens ('connect' line), the client's socat
// connects straight to that port ('listen' line with the server's port).
// The two UMLs run at the same time (about 5 s for a whole pair).

import assert from 'node:assert/strict';
import { startPppdPeer, umlAvailable, type PppdPeer, type PppdPeerResult } from './uml.js';

export interface PppdPair {
  server: PppdPeerResult;
  client: PppdPeerResult;
  totalMs: number;
}

export interface PppdPairOptions {
  serverArgs: string[];
  serverFiles: Record<string, string>;
  clientArgs: string[];
  clientFiles: Record<string, string>;
  /** Run in the client's UML once its ip-up has run; then the client gets SIGTERM. */
  clientAfter?: string;
  /** socat -x on the client's line: RUN/line.hex in the client's run directory. */
  captureClient?: boolean;
  /** Bound on each UML (default 60000). */
  timeoutMs?: number;
}

export async function runPppdPair(opts: PppdPairOptions): Promise<PppdPair> {
  const avail = umlAvailable();
  assert.ok(avail.ok, `user-mode-linux harness unavailable: ${avail.why}`);
  const timeoutMs = opts.timeoutMs ?? 60000;
  const t0 = Date.now();
  // The server waits for the client to end the link (LCP TermReq) instead of
  // being stopped by the harness as soon as its ip-up has run.
  const server = await startPppdPeer({
    line: 'connect',
    pppdArgs: opts.serverArgs,
    files: opts.serverFiles,
    waitExit: true,
    timeoutMs,
  });
  let client: PppdPeer | undefined;
  try {
    client = await startPppdPeer({
      line: 'listen',
      port: server.port,
      pppdArgs: opts.clientArgs,
      files: opts.clientFiles,
      after: opts.clientAfter,
      capture: opts.captureClient,
      timeoutMs,
    });
    const [s, c] = await Promise.all([server.done, client.done]);
    return { server: s, client: c, totalMs: Date.now() - t0 };
  } finally {
    await Promise.all([server.stop(), client?.stop()]);
  }
}

export function dumpPeer(name: string, r: PppdPeerResult): string {
  return (
    `\n===== ${name}: exit ${r.exitCode}, timedOut ${r.timedOut}, ${r.durationMs} ms, run dir ${r.runDir}\n` +
    `--- init.log\n${r.initLog}--- pppd.log\n${r.log}--- after (rc ${r.afterRc})\n${r.afterOutput}` +
    `--- console\n${r.console}--- socat\n${r.socatLog}`
  );
}

export function describePair(p: PppdPair): string {
  return dumpPeer('server', p.server) + dumpPeer('client', p.client);
}
