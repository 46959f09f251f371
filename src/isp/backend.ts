/**
 * The userspace network behind each ISP session: one NAT stack per client (src/net),
 * sharing process-wide limits. The virtual network is `subnet` (default: the /24 around the gateway).
 */
import { NatBackend, SystemResolver } from '../runtime/nat-backend.js';
import { SharedLimits } from '../net/config.js';
import { ipv6PrefixOf, networkOf, type IspConfig } from './config.js';
import type { IspOptions } from './server.js';

export function natBackendFactory(config: IspConfig, log: (msg: string) => void = () => undefined): NonNullable<IspOptions['backend']> {
  const shared = new SharedLimits();
  // One resolver for all sessions: each dns.Resolver is a c-ares channel (native memory).
  const resolver = new SystemResolver();
  const network = networkOf(config);
  return (req) =>
    new NatBackend({
      network,
      gateway: req.gateway,
      dns: req.dns,
      client: req.client,
      // SLIP sessions have a smaller MTU than PPP's 1500: the stack's MSS and fragmentation follow it.
      ...(req.mtu ? { mtu: req.mtu } : {}),
      allowOutbound: config.allowOutbound,
      ipv6Prefix: ipv6PrefixOf(config),
      // Host ports can be bound once: the first session online gets the forwards.
      forwards: config.forwards.map((f) => `${f.proto} ${f.hostPort}:${f.clientPort}`),
      shared,
      resolver,
      log: (m) => log(`[${req.sessionId}] net: ${m}`),
    });
}
