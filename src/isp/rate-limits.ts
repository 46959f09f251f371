/**
 * `rate-limit NAME DOWN-KBIT UP-KBIT [BURST-KB]` (isp.conf): a named rate a RADIUS Filter-Id
 * (RFC 2865 §5.11) picks for a session, as accel-ppp's shaper takes Filter-Id. DOWN is
 * towards the client, UP from it, in kbit/s (1000 bit/s). BURST-KB (1024 octets) is the
 * bucket depth both ways; by default an eighth of a second of the rate, and never less than
 * two full 1500-octet packets (a packet larger than the burst could never pass).
 */

export interface RateLimit {
  name: string;
  downKbit: number;
  upKbit: number;
  burstKb?: number;
  /** isp.conf line, for messages. */
  line: number;
}

/** The smallest burst: two 1500-octet packets (so a full-size packet always fits). */
export const MIN_BURST_BYTES = 3000;

/** Parses the values after `rate-limit`; throws Error(message) for config.ts to put file:line on. */
export function parseRateLimit(vals: string[], line: number, known: readonly RateLimit[]): RateLimit {
  if (vals.length < 3 || vals.length > 4) throw new Error('want NAME DOWN-KBIT UP-KBIT [BURST-KB]');
  const [name, down, up, burst] = vals as [string, string, string, string?];
  // A Filter-Id is text (RFC 2865 §5.11); names here are one word of printable ASCII.
  if (!/^[\x21-\x7e]{1,64}$/.test(name)) throw new Error(`bad name '${name}' (one word, at most 64 characters)`);
  const before = known.find((r) => r.name === name);
  if (before) throw new Error(`'${name}' already defined on line ${before.line}`);
  const kbit = (s: string, what: string) => {
    if (!/^\d+$/.test(s) || Number(s) < 1 || Number(s) > 10_000_000) throw new Error(`${what} '${s}' is not a rate in kbit/s (1-10000000)`);
    return Number(s);
  };
  const r: RateLimit = { name, downKbit: kbit(down, 'DOWN-KBIT'), upKbit: kbit(up, 'UP-KBIT'), line };
  if (burst !== undefined) {
    if (!/^\d+$/.test(burst) || Number(burst) * 1024 < MIN_BURST_BYTES || Number(burst) > 1_048_576) throw new Error(`BURST-KB '${burst}' out of range (3-1048576)`);
    r.burstKb = Number(burst);
  }
  return r;
}

/** One direction's bucket: bytes per second, burst bytes, and the shaper's queue bound. */
export interface BucketSpec {
  rate: number;
  burst: number;
  queue: number;
}

export function bucketSpec(r: RateLimit, dir: 'down' | 'up'): BucketSpec {
  const rate = ((dir === 'down' ? r.downKbit : r.upKbit) * 1000) / 8;
  const burst = r.burstKb !== undefined ? r.burstKb * 1024 : Math.max(MIN_BURST_BYTES, Math.round(rate / 8));
  // Half a second of the rate waits at most (bufferbloat bound), between 16 KiB and 1 MiB.
  const queue = Math.min(1 << 20, Math.max(16 * 1024, Math.round(rate / 2)));
  return { rate, burst, queue };
}
