/**
 * `network tun` in `dialtone pppd`: the PppNetif for pppd's options, or an Error saying why
 * the kernel interface cannot be had (no native addon, no privilege).
 */
import { nativeError } from '../native/index.js';
import type { PppdConfig } from '../pppd/options-types.js';
import type { Logger } from '../pppd/logger.js';
import { PppNetif } from './ppp-netif.js';

export function tunNetifFromOptions(cfg: PppdConfig, log: Logger): PppNetif | Error {
  const why = nativeError();
  if (why) return new Error(`network tun: ${why}`);
  if (process.getuid?.() !== 0) log.log('warn', 'network tun: not running as root; creating the interface needs CAP_NET_ADMIN');
  return new PppNetif({
    ...(cfg.ifname !== undefined ? { ifname: cfg.ifname } : {}),
    ...(cfg.unit !== undefined ? { unit: cfg.unit } : {}),
    defaultroute: cfg.defaultroute,
    replacedefaultroute: cfg.replacedefaultroute,
    ...(cfg.defaultrouteMetric !== undefined ? { defaultrouteMetric: cfg.defaultrouteMetric } : {}),
    proxyarp: cfg.proxyarp,
    ktune: cfg.ktune,
    ...(cfg.mtu !== undefined ? { mtu: cfg.mtu } : {}),
    log: (level, msg) => log.log(level, msg),
  });
}
