/**
 * Runs a SlipLink (link.ts) on a stream, with a network backend (the userspace NAT), until
 * the line goes away or close() is called. A thin IO shell: SLIP has no timers of its own.
 */
import type { Duplex } from 'node:stream';
import type { NetworkBackend } from '../runtime/driver.js';
import { MAX_LINE_BACKLOG } from '../runtime/driver.js';
import { SlipLink } from './link.js';

export interface SlipRun {
  /** Resolves with why the session ended. */
  done: Promise<string>;
  close(reason: string): void;
  /** IP packets from the backend dropped because the line had MAX_LINE_BACKLOG unwritten. */
  readonly droppedForBacklog: number;
}

export function runSlip(stream: Duplex, link: SlipLink, backend: NetworkBackend, addrs: { local: number; remote: number; dns: number }): SlipRun {
  let ended = false;
  let dropped = 0;
  let resolveDone!: (why: string) => void;
  const done = new Promise<string>((r) => (resolveDone = r));
  const onData = (chunk: Buffer) => {
    if (ended) return;
    for (const ip of link.input(chunk)) backend.deliver(ip);
    if (link.carrierLost) finish('NO CARRIER');
  };
  const finish = (why: string) => {
    if (ended) return;
    ended = true;
    stream.off('data', onData);
    stream.off('end', onEnd);
    stream.off('close', onEnd);
    stream.off('error', onError);
    backend.detach();
    resolveDone(why);
  };
  const onEnd = () => finish('caller hung up');
  const onError = (err: Error) => finish(`line error: ${err.message}`);
  stream.on('data', onData);
  stream.on('end', onEnd);
  stream.on('close', onEnd);
  stream.on('error', onError);
  backend.attach(
    (ip) => {
      if (ended || stream.destroyed || !stream.writable) return;
      // A router's full queue: drop (TCP recovers), never grow without bound.
      if (stream.writableLength > MAX_LINE_BACKLOG) {
        dropped++;
        return;
      }
      const bytes = link.output(ip);
      if (bytes) stream.write(bytes);
    },
    { local: addrs.local, remote: addrs.remote, dns: [addrs.dns, 0] },
  );
  return {
    done,
    get droppedForBacklog() {
      return dropped;
    },
    close(reason: string) {
      if (ended) return;
      finish(reason);
      stream.end();
      stream.destroy();
    },
  };
}
