// A `dialtone isp` (IspServer in this process, the userspace NAT) that holds no secrets of its
// own, so every verdict and every MPPE key comes from the RADIUS servers the test started.
import { IspServer } from '../../src/isp/server.js';
import { defaultIspConfig, type IspConfig } from '../../src/isp/config.js';
import { natBackendFactory } from '../../src/isp/backend.js';
import { staticSecrets } from '../../src/ppp/secrets.js';
import { startPppdPeer, type PppdPeerResult } from './uml.js';
import { relayWhenPppdSpeaks } from './pppd-relay.js';
import type { FreeRadius } from './freeradius.js';

/** Runs `fn` with the server started on 127.0.0.1 (an ephemeral PPP port), then stops it. */
export async function withRadiusIsp(secret: string, config: Partial<IspConfig>, fn: (isp: IspServer, logs: string[]) => Promise<void>): Promise<void> {
  const c: IspConfig = { ...defaultIspConfig(), listenPpp: { host: '127.0.0.1', port: 0 }, lcpEchoInterval: 0, authTimeout: 300, radiusSecret: secret, radiusTimeout: 2, radiusRetries: 1, ...config };
  const logs: string[] = [];
  const isp = new IspServer({ config: c, secrets: staticSecrets([]), backend: natBackendFactory(c, (m) => logs.push(m)), log: (m) => logs.push(m) });
  await isp.start();
  try {
    await fn(isp, logs);
  } finally {
    await isp.stop();
  }
}

/**
 * Real pppd in user-mode-linux dials `isp` (a local, noauth client without IPv6, plus
 * `pppdArgs`), connected only when pppd's first byte arrives so a slow UML boot cannot fail
 * LCP; `after` runs in UML once IP is up. Resolves with pppd's result.
 */
export async function pppdDialsIsp(isp: IspServer, pppdArgs: string[], files: Record<string, string>, after = 'ping -c 1 -W 5 10.0.2.2'): Promise<PppdPeerResult> {
  const relay = await relayWhenPppdSpeaks(isp.addresses.ppp!.port);
  try {
    const peer = await startPppdPeer({
      line: 'listen', port: relay.port, timeoutMs: 170_000,
      pppdArgs: ['local', 'noauth', 'noipdefault', 'noipv6', ...pppdArgs], files, after,
    });
    return await peer.done;
  } finally {
    relay.close();
  }
}

/** A failed assertion's context: pppd's log (and what `after` printed), the isp's, FreeRADIUS's tail. */
export const radiusWhy = (r: { exitCode: number | null; log: string; afterOutput?: string }, logs: string[], fr?: FreeRadius): string =>
  `--- pppd (exit ${r.exitCode}) ---\n${r.log}\n${r.afterOutput !== undefined ? `--- after ---\n${r.afterOutput}\n` : ''}--- isp ---\n${logs.join('\n')}${fr ? `\n--- freeradius (tail) ---\n${fr.log().slice(-8000)}` : ''}`;
