/**
 * The PPP peer's TCP of bench/nat.ts's stack runs, the same whether it runs in the bench's
 * process (the in-memory line) or in the far end's (the TCP line): a client at 10.0.2.15
 * connecting to the gateway 10.0.2.2, which NatBackend maps to the host's 127.0.0.1, with a
 * window (4 MiB, scale 6) that never limits the transfer, an ACK per batch it takes in, and
 * the data it receives counted, not kept.
 */
import { ClientTcp } from '../src/net/testing/peer.js';

/** NatBackend's `client` address for it. */
export const CLIENT_ADDRESS = '10.0.2.15';

export function natBenchClient(hostPort: number): ClientTcp {
  return new ClientTcp({ src: 0x0a00020f, srcPort: 40000, dst: 0x0a000202, dstPort: hostPort, wscale: 6, rcvBuf: 4 * 1024 * 1024, rto: 300, ackPerBatch: true, discard: true });
}
