/**
 * The PPPoE client on a real port: the thin shell around client.ts. Resolves with the
 * session's frame stream once a PADS has come (pppd's "PPP session is N"), or rejects with
 * rp-pppoe's message ("Timeout waiting for PADO packets").
 */
import { PppoeClient, type PppoeClientOptions } from '../pppoe/client.js';
import { macToString } from '../pppoe/frame.js';
import { SessionStream } from './pppoe-session-stream.js';
import type { EthernetPort } from '../pppoe/ethernet.js';

export interface PppoeDialed {
  stream: SessionStream;
  sessionId: number;
  /** The AC's MAC, as text. */
  peer: string;
  acName: string;
  mtu: number;
  client: PppoeClient;
}

export function dialPppoe(
  port: EthernetPort,
  opts: Omit<PppoeClientOptions, 'mac'>,
  log: (level: 'info' | 'notice' | 'warn' | 'error' | 'debug', msg: string) => void,
  signal?: AbortSignal,
): Promise<PppoeDialed> {
  const client = new PppoeClient({ ...opts, mac: port.mac });
  return new Promise((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    let stream: SessionStream | undefined;
    let settled = false;
    const done = (err?: Error) => {
      if (settled) return;
      settled = true;
      if (err) {
        port.close();
        reject(err);
      }
    };
    const pump = () => {
      for (const f of client.takeOutput()) port.send(f);
      for (const e of client.takeEvents()) {
        switch (e.type) {
          case 'log': log(e.level, e.msg); break;
          case 'failed': done(new Error(e.why)); break;
          case 'up':
            stream = new SessionStream(
              (frame) => {
                client.send(frame);
                pump();
              },
              () => {
                client.close('PPP ended');
                pump();
                port.close();
              },
            );
            log('info', `PPPoE session ${e.sessionId} with ${macToString(e.peer)} (AC ${e.acName}), MTU ${e.mtu}`);
            settled = true;
            resolve({ stream, sessionId: e.sessionId, peer: macToString(e.peer), acName: e.acName, mtu: e.mtu, client });
            break;
          case 'ppp': stream?.deliver(e.payload); break;
          case 'down':
            if (e.byPeer) log('notice', 'PPPoE session terminated by the access concentrator (PADT)');
            stream?.hangup();
            if (!settled) done(new Error(e.why));
            break;
        }
      }
      if (timer) clearTimeout(timer);
      timer = undefined;
      const d = client.nextDeadline();
      if (d !== undefined) {
        timer = setTimeout(() => {
          client.tick(Date.now());
          pump();
        }, Math.max(0, d - Date.now()));
      }
    };
    signal?.addEventListener('abort', () => {
      if (settled) return;
      client.close('aborted');
      if (timer) clearTimeout(timer);
      done(new Error('aborted'));
    }, { once: true });
    port.onFrame((f) => {
      client.input(f, Date.now());
      pump();
    });
    client.start(Date.now());
    pump();
  });
}
