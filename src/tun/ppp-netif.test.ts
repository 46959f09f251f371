/**
 * PppNetif's pppd logic without root: which `ip` commands, in which order, what it logs,
 * against a recorded command runner and a given routing table (sys-linux.c's behaviour).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PppNetif, parseRouteTable, type IfAddrs, type PppNetifOptions } from './ppp-netif.js';
import type { RawDevice } from '../native/index.js';

const ip = (s: string) => s.split('.').reduce((a, o) => ((a << 8) | Number(o)) >>> 0, 0);

// /proc/net/route: a default route via 192.168.1.1 on eth0, metric 100.
const ROUTES = `Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT
eth0\t00000000\t0101A8C0\t0003\t0\t0\t100\t00000000\t0\t0\t0
eth0\t0001A8C0\t00000000\t0001\t0\t0\t100\t00FFFFFF\t0\t0\t0
`;

function fakeDev(): RawDevice & { written: Buffer[]; feed?: (b: Buffer) => void; closed: boolean } {
  const d = {
    written: [] as Buffer[],
    closed: false,
    fd: 99,
    feed: undefined as ((b: Buffer) => void) | undefined,
    write(b: Buffer) {
      d.written.push(b);
    },
    onData(cb: (b: Buffer) => void) {
      d.feed = cb;
    },
    close() {
      d.closed = true;
    },
  };
  return d;
}

function rig(o: Partial<PppNetifOptions> = {}, routes = ROUTES, addrs: IfAddrs[] = []) {
  const cmds: string[] = [];
  const logs: string[] = [];
  const dev = fakeDev();
  const names: (string | undefined)[] = [];
  const n = new PppNetif({
    log: (level, m) => logs.push(`${level}: ${m}`),
    ip: async (a) => void cmds.push(a.join(' ')),
    routeTable: () => routes,
    addrTable: async () => addrs,
    openTun: (opts) => {
      names.push(opts.name);
      return { ifname: (opts.name ?? 'tun%d').replace('%d', '0'), dev };
    },
    ipForwardPath: '/dev/null',
    ...o,
  });
  return { n, cmds, logs, dev, names };
}

test('/proc/net/route rows parse to addresses, flags and metrics', () => {
  const rows = parseRouteTable(ROUTES);
  assert.equal(rows.length, 2);
  assert.deepEqual(rows[0], { iface: 'eth0', dst: 0, gateway: ip('192.168.1.1'), flags: 3, metric: 100, mask: 0 });
  assert.equal(rows[1]!.mask, ip('255.255.255.0'));
});

test('the unit is ppp%d, or ppp<unit>, or ifname; a busy unit falls back to any with pppd\'s warning', () => {
  assert.equal(rig().n.create(), 'ppp0');
  assert.deepEqual(rig({ unit: 3 }).names, []);
  const r = rig({ unit: 3 });
  r.n.create();
  assert.deepEqual(r.names, ['ppp3']);
  const named = rig({ ifname: 'dsl0' });
  assert.equal(named.n.create(), 'dsl0');
  let first = true;
  const busy = rig({
    unit: 1,
    openTun: (opts) => {
      if (first) {
        first = false;
        throw Object.assign(new Error('ioctl TUNSETIFF: Device or resource busy'), { code: 'EBUSY' });
      }
      return { ifname: opts.name!.replace('%d', '2'), dev: fakeDev() };
    },
  });
  assert.equal(busy.n.create(), 'ppp2');
  assert.deepEqual(busy.logs, ["warn: Couldn't allocate PPP unit 1 as it is already in use"]);
});

test('ip-up: /32 addresses with the peer, MTU min(peer MRU, mtu), up; ip-down: down and addresses flushed', async () => {
  const { n, cmds } = rig({ mtu: 1400 });
  n.create();
  await n.sifaddr(ip('10.0.0.2'), ip('10.0.0.1'));
  await n.sifup(1500);
  await n.sifdown();
  await n.clearAddrs();
  assert.deepEqual(cmds, [
    'addr add 10.0.0.2/32 peer 10.0.0.1/32 dev ppp0',
    'link set dev ppp0 mtu 1400',
    'link set dev ppp0 up',
    'link set dev ppp0 down',
    '-4 addr flush dev ppp0',
  ]);
});

test('defaultroute does not replace an existing default route (pppd\'s error), and adds none', async () => {
  const { n, cmds, logs } = rig({ defaultroute: true });
  n.create();
  await n.routes(ip('10.0.0.2'), ip('10.0.0.1'));
  assert.deepEqual(cmds, []);
  assert.deepEqual(logs, ['error: not replacing default route to eth0 [192.168.1.1]']);
});

test('replacedefaultroute: ours added, the old one deleted, and restored when the link goes', async () => {
  const { n, cmds, logs } = rig({ defaultroute: true, replacedefaultroute: true, defaultrouteMetric: 5 });
  n.create();
  await n.routes(ip('10.0.0.2'), ip('10.0.0.1'));
  await n.clearAddrs();
  assert.deepEqual(cmds, [
    'route prepend default dev ppp0 metric 5',
    'route del default via 192.168.1.1 dev eth0 metric 100',
    'route del default dev ppp0 metric 5',
    'route prepend default via 192.168.1.1 dev eth0 metric 100',
    '-4 addr flush dev ppp0',
  ]);
  assert.deepEqual(logs, ['notice: replacing old default route to eth0 [192.168.1.1]', 'notice: restoring old default route to eth0 [192.168.1.1]']);
});

test('defaultroute with no default route adds one at the kernel metric of defaultroute-metric', async () => {
  const { n, cmds } = rig({ defaultroute: true }, 'Iface\tDestination\n');
  n.create();
  await n.routes(ip('10.0.0.2'), ip('10.0.0.1'));
  await n.cleanup();
  assert.deepEqual(cmds, ['route prepend default dev ppp0 metric 0', 'route del default dev ppp0 metric 0']);
});

test('proxyarp: the up broadcast interface on the peer\'s subnet, longest mask; removed on ip-down', async () => {
  const addrs: IfAddrs[] = [
    { ifname: 'lo', flags: ['LOOPBACK', 'UP'], addr_info: [{ family: 'inet', local: '127.0.0.1', prefixlen: 8 }] },
    { ifname: 'eth0', flags: ['BROADCAST', 'MULTICAST', 'UP'], addr_info: [{ family: 'inet', local: '10.0.0.254', prefixlen: 16 }] },
    { ifname: 'eth1', flags: ['BROADCAST', 'MULTICAST', 'UP'], addr_info: [{ family: 'inet', local: '10.0.0.250', prefixlen: 24 }] },
    { ifname: 'eth2', flags: ['BROADCAST', 'MULTICAST'], addr_info: [{ family: 'inet', local: '10.0.0.251', prefixlen: 28 }] },
    { ifname: 'ppp9', flags: ['POINTOPOINT', 'UP'], addr_info: [{ family: 'inet', local: '10.0.0.249', prefixlen: 32 }] },
  ];
  const { n, cmds, logs } = rig({ proxyarp: true }, ROUTES, addrs);
  n.create();
  await n.routes(ip('10.0.0.1'), ip('10.0.0.7'));
  await n.clearAddrs();
  assert.deepEqual(cmds, ['neigh add proxy 10.0.0.7 dev eth1', 'neigh del proxy 10.0.0.7 dev eth1', '-4 addr flush dev ppp0']);
  assert.deepEqual(logs, ['info: found interface eth1 for proxy arp']);
  const none = rig({ proxyarp: true }, ROUTES, []);
  none.n.create();
  await none.n.routes(ip('10.0.0.1'), ip('10.9.0.7'));
  assert.deepEqual(none.logs, ['error: Cannot determine ethernet address for proxy ARP']);
});

test('packets: IPv4 from the kernel goes to the link only while attached; IPv6 only with IPV6CP up', () => {
  const { n, dev } = rig();
  n.create();
  const sent: Buffer[] = [];
  const v4 = Buffer.from([0x45, 0, 0, 20]);
  const v6 = Buffer.from([0x60, 0, 0, 0]);
  dev.feed!(v4);
  n.attach((p) => sent.push(p));
  dev.feed!(v4);
  dev.feed!(v6);
  n.deliver(v4);
  assert.deepEqual(sent, [v4]);
  assert.deepEqual(dev.written, [v4]);
  assert.deepEqual(n.stats, { fromKernel: 1, toKernel: 1, dropped: 2 });
  n.destroy();
  assert.equal(dev.closed, true);
});
