/**
 * SLIP on a getty's line (`dialtone getty`, no access server around it): one caller per
 * line, so one address, on slirp's network (client 10.0.2.15, gateway 10.0.2.2, DNS 10.0.2.3)
 * behind the userspace NAT, as the ISP's sessions are.
 */
import type { Duplex } from 'node:stream';
import { NatBackend } from '../runtime/nat-backend.js';
import { parseIp4 } from '../wire/ipv4.js';
import { SLIP_DEFAULT_MTU } from '../wire/slip.js';
import type { SlipMode } from './link.js';
import { newSlipLink } from './codec.js';
import { runSlip } from './run.js';
import { slipBanner } from './banner.js';

export interface LineSlipOptions {
  address?: string;
  gateway?: string;
  dns?: string;
  mtu?: number;
  log(msg: string): void;
}

/** Prints the banner and carries IP until the caller hangs up; resolves with why it ended. */
export async function serveSlipOnLine(stream: Duplex, mode: SlipMode, user: string, opts: LineSlipOptions): Promise<string> {
  const address = opts.address ?? '10.0.2.15';
  const gateway = opts.gateway ?? '10.0.2.2';
  const dns = opts.dns ?? '10.0.2.3';
  const mtu = opts.mtu ?? SLIP_DEFAULT_MTU;
  const link = newSlipLink(mode, mtu);
  const backend = new NatBackend({ client: address, gateway, dns, mtu, log: (m) => opts.log(`net: ${m}`) });
  stream.write(slipBanner({ mode, address, gateway, dns, mtu }));
  opts.log(`${mode.toUpperCase()} for ${user}: address ${address}, MTU ${mtu}`);
  const run = runSlip(stream, link, backend, { local: parseIp4(gateway)!, remote: parseIp4(address)!, dns: parseIp4(dns)! });
  const why = await run.done;
  const c = link.counters;
  opts.log(`${mode.toUpperCase()} ended (${why}): ${c.bytesIn} bytes in, ${c.bytesOut} out, ${c.packetsIn}/${c.packetsOut} packets, vj ${c.vjCompressedIn} in, ${c.vjCompressedOut} out`);
  return why;
}
