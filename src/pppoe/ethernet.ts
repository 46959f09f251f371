/**
 * An Ethernet port for PPPoE: whole frames (header included) in and out. On Linux it is two
 * AF_PACKET sockets from the native addon (src/native, root or CAP_NET_RAW): one bound to
 * 0x8863 (Discovery), one to 0x8864 (Session). Tests use `memoryEthernetPair`.
 */
import { ETH_P_PPPOE_DISC, ETH_P_PPPOE_SESS } from './frame.js';
import { nativeError, openPacket } from '../native/index.js';

export interface EthernetPort {
  readonly name: string;
  readonly mac: Buffer;
  readonly mtu: number;
  send(frame: Buffer): void;
  onFrame(cb: (frame: Buffer) => void): void;
  close(): void;
}

/** Opens IFACE for PPPoE (two packet sockets); throws with a message fit for the log. */
export async function openEthernet(ifname: string): Promise<EthernetPort> {
  const why = nativeError();
  if (why) throw new Error(`PPPoE on ${ifname} needs the native addon: ${why}`);
  const disc = openPacket(ifname, ETH_P_PPPOE_DISC);
  let sess: ReturnType<typeof openPacket>;
  try {
    sess = openPacket(ifname, ETH_P_PPPOE_SESS);
  } catch (err) {
    disc.dev.close();
    throw err;
  }
  let closed = false;
  return {
    name: ifname,
    mac: Buffer.from(disc.mac),
    mtu: disc.mtu,
    send: (frame) => {
      if (closed) return;
      (frame.readUInt16BE(12) === ETH_P_PPPOE_SESS ? sess : disc).dev.write(frame);
    },
    onFrame: (cb) => {
      disc.dev.onData(cb);
      sess.dev.onData(cb);
    },
    close: () => {
      if (closed) return;
      closed = true;
      disc.dev.close();
      sess.dev.close();
    },
  };
}

/** Two ports joined by a cable, delivering asynchronously (as a socket would). */
export function memoryEthernetPair(macA: Buffer, macB: Buffer, mtu = 1500): [EthernetPort, EthernetPort] {
  const make = (name: string, mac: Buffer) => {
    const listeners: ((f: Buffer) => void)[] = [];
    let closed = false;
    let peer: { deliver(f: Buffer): void } | undefined;
    // An open packet socket keeps the process alive until closed; so does this port.
    let alive: NodeJS.Timeout | undefined = setInterval(() => undefined, 60_000);
    const port = {
      name,
      mac,
      mtu,
      send: (f: Buffer) => {
        if (!closed) peer?.deliver(Buffer.from(f));
      },
      onFrame: (cb: (f: Buffer) => void) => void listeners.push(cb),
      close: () => {
        closed = true;
        clearInterval(alive);
        alive = undefined;
      },
      deliver: (f: Buffer) => setImmediate(() => {
        if (!closed) for (const l of listeners) l(f);
      }),
      link: (p: { deliver(f: Buffer): void }) => void (peer = p),
    };
    return port;
  };
  const a = make('mem0', macA);
  const b = make('mem1', macB);
  a.link(b);
  b.link(a);
  return [a, b];
}
