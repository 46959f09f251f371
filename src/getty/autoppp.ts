/**
 * mgetty's AutoPPP: a caller that starts talking PPP instead of typing a login name is
 * recognised by the start of its first LCP frame, FF 03 C0 21 after a flag, with any
 * byte possibly sent escaped (RFC 1662 §4.2: before LCP is up every control character
 * is escaped, so Windows sends 7E FF 7D 23 C0 21 ...).
 */
const LCP_START = [0xff, 0x03, 0xc0, 0x21];

/** Bytes kept from a frame's start while its first bytes are matched (flag + 4 escaped bytes). */
const MAX_HELD = 16;

export class AutoPppDetector {
  private matched = 0;
  private escaped = false;
  private inFrame = false;
  /** The bytes of the candidate frame so far, from its flag (or unflagged FF) on. */
  private held: number[] = [];
  /**
   * Once push() returned true: the caller's bytes from the start of the LCP frame (its
   * opening flag, or the FF when the caller sent none) to the end of the bytes pushed. mgetty
   * execs pppd on the tty, so what it read is gone and pppd waits for the caller's restart
   * (RFC 1661 Restart timer, 3 s); handing these bytes to the PPP session instead lets it
   * answer the caller's first Configure-Request at once.
   */
  frame: Uint8Array = new Uint8Array(0);

  /** Feeds bytes; true once the start of an LCP frame has been seen. */
  push(bytes: Uint8Array): boolean {
    for (let i = 0; i < bytes.length; i++) {
      const b = bytes[i]!;
      if (this.step(b)) {
        const rest = bytes.subarray(i + 1);
        const f = new Uint8Array(this.held.length + rest.length);
        f.set(this.held);
        f.set(rest, this.held.length);
        this.frame = f;
        return true;
      }
    }
    return false;
  }

  private step(raw: number): boolean {
    if (raw === 0x7e) {
      this.inFrame = true;
      this.matched = 0;
      this.escaped = false;
      this.held = [raw];
      return false;
    }
    if (this.inFrame && this.held.length < MAX_HELD) this.held.push(raw);
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
      this.held = [raw];
    }
    if (b === LCP_START[this.matched]) {
      this.matched++;
      if (this.matched === LCP_START.length) return true;
    } else {
      this.inFrame = b === 0xff;
      this.matched = b === 0xff ? 1 : 0;
      this.held = b === 0xff ? [raw] : [];
    }
    return false;
  }
}
