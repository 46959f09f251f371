// A `dialtone isp` (IspServer in this process, the userspace NAT) that holds no secrets of its
// own, so every verdict and every MPPE key comes from the RADIUS servers the test started.
import { IspServer } from '../../src/isp/server.js';
import { defaultIspConfig, type IspConfig } from '../../src/isp/config.js';
import { natBackendFactory } from '../../src/isp/backend.js';
import { staticSecrets } from '../../src/ppp/secrets.js';

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
