/**
 * mgetty's AutoPPP: a caller that starts talking PPP instead of typing a login name is
 * recognised by the start of its first LCP frame, FF 03 C0 21 after a flag, with any
 * byte possibly sent escaped (RFC 1662 §4.2: before LCP is up every control character
 * is escaped, so Windows sends 7E FF 7D 23 C0 21 ...).
 */
const LCP_START = [0xff, 0x03, 0xc0, 0x21];

export class AutoPppDetector {
  private matched = 0;
  private escaped = false;
  private inFrame = false;

  /** Feeds bytes; true once the start of an LCP frame has been seen. */
  push(bytes: Uint8Array): boolean {
    for (const b of bytes) {
      if (this.step(b)) return true;
    }
    return false;
  }

  private step(raw: number): boolean {
    if (raw === 0x7e) {
      this.inFrame = true;
      this.matched = 0;
      this.escaped = false;
      return false;
    }
    if (raw === 0x7d && this.inFrame) {
      this.escaped = true;
      return false;
    }
    const b = this.escaped ? raw ^ 0x20 : raw;
    this.escaped = false;
    if (!this.inFrame) {
      // Some callers omit the opening flag; an unescaped FF may start the frame.
      if (b !== 0xff) return false;
      this.inFrame = true;
      this.matched = 0;
    }
    if (b === LCP_START[this.matched]) {
      this.matched++;
      if (this.matched === LCP_START.length) return true;
    } else {
      this.inFrame = b === 0xff;
      this.matched = b === 0xff ? 1 : 0;
    }
    return false;
  }
}
