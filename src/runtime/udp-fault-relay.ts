/**
 * A UDP relay that loses datagrams (the datagram counterpart of src/runtime/fault-relay.ts):
 * every client source gets its own socket towards the target, and each datagram either way
 * is dropped with a seeded probability. `only` restricts the faults to some datagrams (e.g.
 * L2TP control messages, T bit set) so a test can show the control channel's retransmission
 * without PPP's data losses in the way.
 *
 *   const relay = await listenUdpFaultRelay({ target: { host: '127.0.0.1', port: 1701 }, loss: 0.05, seed: 1 });
 *   // dial relay.port instead of 1701; relay.stats has what was dropped
 */
import dgram from 'node:dgram';
import { createHash } from 'node:crypto';

export interface UdpFaultRelayOptions {
  target: { host: string; port: number };
  /** Probability that a datagram is dropped (each direction). */
  loss: number;
  seed: number | string;
  /** Which datagrams the loss applies to (default: all). */
  only?: (datagram: Buffer) => boolean;
  /** Most client sources relayed at once (bounded: one socket each). */
  maxSources?: number;
}

export interface UdpFaultRelay {
  port: number;
  stats: { forwarded: number; dropped: number; subject: number };
  close(): Promise<void>;
}

/** L2TP control messages: the T bit (RFC 2661 §3.1). */
export const l2tpControl = (d: Buffer) => d.length > 0 && (d[0]! & 0x80) !== 0;

export async function listenUdpFaultRelay(o: UdpFaultRelayOptions): Promise<UdpFaultRelay> {
  let state = createHash('sha256').update(String(o.seed)).digest();
  const random = () => {
    state = createHash('sha256').update(state).digest();
    return state.readUInt32BE(0) / 2 ** 32;
  };
  const stats = { forwarded: 0, dropped: 0, subject: 0 };
  const pass = (d: Buffer) => {
    if (o.only && !o.only(d)) return true;
    stats.subject++;
    if (random() < o.loss) {
      stats.dropped++;
      return false;
    }
    return true;
  };
  const front = dgram.createSocket('udp4');
  const backs = new Map<string, dgram.Socket>();
  await new Promise<void>((r) => front.bind(0, '127.0.0.1', r));
  front.on('message', (msg, from) => {
    const key = `${from.address}:${from.port}`;
    let back = backs.get(key);
    if (!back) {
      if (backs.size >= (o.maxSources ?? 64)) return;
      const b = dgram.createSocket('udp4');
      b.on('message', (reply) => {
        if (!pass(reply)) return;
        stats.forwarded++;
        front.send(reply, from.port, from.address);
      });
      b.on('error', () => undefined);
      backs.set(key, b);
      back = b;
    }
    if (!pass(msg)) return;
    stats.forwarded++;
    back.send(msg, o.target.port, o.target.host);
  });
  return {
    port: front.address().port,
    stats,
    close: async () => {
      await Promise.all([front, ...backs.values()].map((s) => new Promise<void>((r) => s.close(() => r()))));
    },
  };
}
