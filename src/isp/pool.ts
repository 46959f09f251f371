/** An IPv4 address pool: each session takes the lowest free address and gives it back. */
import { ip4ToString, parseIp4 } from '../wire/ipv4.js';

export class AddressPool {
  private readonly used = new Set<number>();

  constructor(readonly first: number, readonly last: number) {
    if (last < first) throw new RangeError(`empty pool ${ip4ToString(first)}-${ip4ToString(last)}`);
  }

  /** `10.0.2.15-10.0.2.99` or a single address. */
  static parse(text: string): AddressPool {
    const [a, b] = text.split('-').map((s) => s.trim());
    const first = parseIp4(a ?? '');
    const last = b === undefined ? first : parseIp4(b);
    if (first === undefined || last === undefined) throw new RangeError(`bad pool '${text}': want FIRST-LAST`);
    return new AddressPool(first, last);
  }

  get size(): number {
    return this.last - this.first + 1;
  }

  get inUse(): number {
    return this.used.size;
  }

  /** The lowest free address, or a specific one if free; undefined when exhausted. */
  take(wanted?: number): number | undefined {
    if (wanted !== undefined && wanted >= this.first && wanted <= this.last && !this.used.has(wanted)) {
      this.used.add(wanted);
      return wanted;
    }
    for (let a = this.first; a <= this.last; a++) {
      if (!this.used.has(a)) {
        this.used.add(a);
        return a;
      }
    }
    return undefined;
  }

  give(addr: number): void {
    this.used.delete(addr);
  }
}
