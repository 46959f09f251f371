// The DAE listener's IO shell (the core is ../radius/dae.ts): one UDP socket, IPv4 or IPv6 by
// the address it binds, answering what DaeCore answers.
import dgram from 'node:dgram';
import net from 'node:net';
import { DaeCore, type DaeOptions } from '../radius/dae.js';
import { canonicalIp } from '../wire/ipv6.js';

export interface DaeListener {
  core: DaeCore;
  port: number;
  close(): Promise<void>;
  status(): unknown;
}

/** Binds `host:port` (`::` hears IPv4 clients too, as IPv4-mapped addresses: matched as IPv4). */
export async function listenDae(at: { host: string; port: number }, o: DaeOptions): Promise<DaeListener> {
  const core = new DaeCore(o);
  const v6 = net.isIPv6(at.host);
  const sock = dgram.createSocket(v6 ? 'udp6' : 'udp4');
  sock.on('message', (m, rinfo) => {
    const r = core.handle(m, canonicalIp(rinfo.address), Date.now());
    if (r) sock.send(r, rinfo.port, rinfo.address);
  });
  sock.on('error', (e) => o.log?.(`dae: ${e.message}`));
  await new Promise<void>((resolve, reject) => {
    sock.once('error', reject);
    sock.bind(at.port, at.host, () => {
      sock.off('error', reject);
      resolve();
    });
  });
  const listen = () => (v6 ? `[${at.host}]:${sock.address().port}` : `${at.host}:${sock.address().port}`);
  return {
    core,
    port: sock.address().port,
    close: () => new Promise<void>((r) => sock.close(() => r())),
    status: () => ({ listen: listen(), ...core.counters }),
  };
}
