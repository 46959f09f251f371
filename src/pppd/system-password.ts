/**
 * pppd `login` checks PAP passwords against the system password database while it answers
 * the Authenticate-Request, blocking (auth.c check_passwd). The session's PAP check is
 * synchronous too, while login.ts's checkSystemPassword is asynchronous: this bridge runs it
 * in a worker thread and waits for the answer (Atomics.wait), so the caller gets a plain
 * boolean. The daemon is blocked for the duration of the check, exactly as pppd is.
 */
import { Worker } from 'node:worker_threads';

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
let mod;
parentPort.on('message', async (m) => {
  const flag = new Int32Array(m.sab);
  let ok = false;
  try {
    mod ??= await import(workerData.url);
    ok = (await mod.checkSystemPassword(m.user, m.password)) === true;
  } catch {
    ok = false;
  }
  Atomics.store(flag, 0, ok ? 1 : 2);
  Atomics.notify(flag, 0);
});
`;

export interface SyncPasswordChecker {
  check(user: string, password: string): boolean;
  close(): void;
}

/** A synchronous checkSystemPassword (from login.ts unless `moduleUrl` names another module). */
export function syncPasswordChecker(moduleUrl = new URL('./login.js', import.meta.url).href, timeoutMs = 60_000): SyncPasswordChecker {
  let worker: Worker | undefined;
  return {
    check(user, password) {
      if (!worker) {
        worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { url: moduleUrl } });
        worker.on('error', () => undefined);
        worker.unref();
      }
      const sab = new SharedArrayBuffer(4);
      const flag = new Int32Array(sab);
      worker.postMessage({ user, password, sab });
      Atomics.wait(flag, 0, 0, timeoutMs);
      return Atomics.load(flag, 0) === 1;
    },
    close() {
      void worker?.terminate();
      worker = undefined;
    },
  };
}
