/**
 * Run by native.test.ts inside a fresh network namespace (unshare -n): exercises a TUN
 * device, a TAP device and two packet sockets on a veth pair, then prints one JSON line of
 * what it saw. Not a test by itself (needs root and a private namespace).
 */
import { execFileSync } from 'node:child_process';
import dgram from 'node:dgram';
import { openPacket, openTun, type NativeDevice } from '../index.js';

function ip(args: string): string {
  return execFileSync('ip', args.split(' '), { encoding: 'utf8' });
}

function sum16(buf: Buffer): number {
  let s = 0;
  for (let i = 0; i + 1 < buf.length; i += 2) s += buf.readUInt16BE(i);
  if (buf.length & 1) s += buf[buf.length - 1]! << 8;
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}

/** An IPv4/UDP packet with a zero UDP checksum (allowed for IPv4, RFC 768). */
function udpPacket(src: string, dst: string, sport: number, dport: number, payload: Buffer): Buffer {
  const p = Buffer.alloc(28 + payload.length);
  p[0] = 0x45;
  p.writeUInt16BE(p.length, 2);
  p[8] = 64;
  p[9] = 17;
  Buffer.from(src.split('.').map(Number)).copy(p, 12);
  Buffer.from(dst.split('.').map(Number)).copy(p, 16);
  p.writeUInt16BE(sum16(p.subarray(0, 20)), 10);
  p.writeUInt16BE(sport, 20);
  p.writeUInt16BE(dport, 22);
  p.writeUInt16BE(8 + payload.length, 24);
  payload.copy(p, 28);
  return p;
}

function withTimeout<T>(p: Promise<T>, what: string): Promise<T> {
  return Promise.race([
    p,
    new Promise<T>((_, rej) => setTimeout(() => rej(new Error(`timed out waiting for ${what}`)), 20_000).unref()),
  ]);
}

async function main(): Promise<void> {
  const out: Record<string, unknown> = {};
  // TUN: the kernel routes a UDP datagram for the peer into the device; a packet written to
  // the device reaches a local UDP socket.
  const { ifname, dev } = openTun({ name: 'dtun%d' });
  out.tunName = ifname;
  ip(`addr add 10.77.0.1 peer 10.77.0.2 dev ${ifname}`);
  ip(`link set ${ifname} up`);
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '10.77.0.1', r));
  const port = sock.address().port;
  const fromKernel = new Promise<Buffer>((resolve) => {
    dev.onData((pkt) => {
      if ((pkt[0]! >> 4) === 4 && pkt[9] === 17) resolve(pkt);
    });
  });
  sock.send(Buffer.from('to-tun'), 9999, '10.77.0.2');
  const pkt = await withTimeout(fromKernel, 'a packet from the TUN device');
  out.tunRead = { proto: pkt[9], dst: [...pkt.subarray(16, 20)].join('.'), payload: pkt.subarray(28).toString() };
  const toSocket = new Promise<string>((resolve) => sock.once('message', (m) => resolve(m.toString())));
  dev.write(udpPacket('10.77.0.2', '10.77.0.1', 9999, port, Buffer.from('from-tun')));
  out.tunWrite = await withTimeout(toSocket, 'the written packet at the UDP socket');
  sock.close();
  dev.close();
  out.tunGoneAfterClose = !ip('-o link show').includes(ifname);

  // TAP: the interface exists with Ethernet framing.
  const tap = openTun({ name: 'dtap%d', tap: true });
  out.tapLink = ip(`-o link show ${tap.ifname}`).includes('link/ether');
  tap.dev.close();

  // AF_PACKET: a frame written on one end of a veth pair arrives, header and all, at a
  // socket bound to the other end; the MAC/ifindex/MTU match the kernel's.
  ip('link add dtva type veth peer name dtvb');
  ip('link set dtva up');
  ip('link set dtvb up');
  const ethertype = 0x88b5; // IEEE local experimental
  const a = openPacket('dtva', ethertype);
  const b = openPacket('dtvb', ethertype);
  const macA = ip('-o link show dtva').match(/link\/ether ([0-9a-f:]+)/)![1]!;
  out.packetMac = a.mac.toString('hex').match(/../g)!.join(':') === macA;
  out.packetMtu = a.mtu;
  out.packetIfindex = a.ifindex === Number(ip('-o link show dtva').split(':')[0]);
  const got = new Promise<Buffer>((resolve) => b.dev.onData(resolve));
  const frame = Buffer.concat([b.mac, a.mac, Buffer.from([0x88, 0xb5]), Buffer.from('hello over veth, padded to 60 bytes.....')]);
  a.dev.write(frame);
  const rx = await withTimeout(got, 'a frame on the other veth end');
  out.packetFrame = rx.subarray(0, frame.length).equals(frame);
  // Several frames in one burst all arrive (read-all-per-wakeup).
  const burst = 50;
  let seen = 0;
  const all = new Promise<void>((resolve) => b.dev.onData(() => (++seen === burst ? resolve() : undefined)));
  for (let i = 0; i < burst; i++) a.dev.write(frame);
  await withTimeout(all, 'a burst of frames');
  out.packetBurst = seen;
  out.stats = (a.dev as NativeDevice).stats;
  a.dev.close();
  b.dev.close();
  process.stdout.write(JSON.stringify(out) + '\n');
}

// Exit explicitly: on a failure some device may still be open (and polled).

main().catch((e: unknown) => {
  process.stdout.write(JSON.stringify({ error: String((e as Error)?.stack ?? e) }) + '\n');
  process.exit(1);
}).then(() => process.exit(0));
