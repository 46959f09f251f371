/**
 * tcpser's ip232 protocol (sans-IO): a serial line over TCP that also carries the modem
 * control lines, as VICE's and other emulators' "IP232" serial mode speaks it.
 *
 * Facts from tcpser (go4retro/tcpser src/ip232.c, ip232.h):
 *   client (the emulated computer, DTE) to server (the modem):
 *     FF 00  DTR went low;  FF 01  DTR went high;  FF FF  a data byte FF;
 *     FF and any other byte: both dropped.
 *   server to client:
 *     FF s   the modem's lines, s = DCD (1) | RI (2), sent when either changes;
 *     FF FF  a data byte FF.
 *   A new connection starts with DTR low (the client reports it) and DCD, RI low.
 * Unlike telnet there is no negotiation: nothing is ever sent unasked except line changes.
 */

export const IP232_ESC = 0xff;
export const IP232_DCD = 1;
export const IP232_RI = 2;

export type Ip232Event = { type: 'dtr'; on: boolean };

export interface Ip232Input {
  /** Data bytes for the modem, escapes removed. */
  data: Uint8Array;
  events: Ip232Event[];
}

export class Ip232Codec {
  private escaped = false;
  private state = 0;

  /** Decode what the client sent. An FF at the end of a chunk waits for its partner. */
  receive(bytes: Uint8Array): Ip232Input {
    const data: number[] = [];
    const events: Ip232Event[] = [];
    for (const b of bytes) {
      if (!this.escaped) {
        if (b === IP232_ESC) this.escaped = true;
        else data.push(b);
        continue;
      }
      this.escaped = false;
      if (b === 0) events.push({ type: 'dtr', on: false });
      else if (b === 1) events.push({ type: 'dtr', on: true });
      else if (b === IP232_ESC) data.push(IP232_ESC);
      // tcpser ignores any other escaped byte; so do we.
    }
    return { data: Uint8Array.from(data), events };
  }

  /** Encode data for the client: FF doubled. */
  encode(bytes: Uint8Array): Uint8Array {
    let ffs = 0;
    for (const b of bytes) if (b === IP232_ESC) ffs++;
    if (ffs === 0) return bytes;
    const out = new Uint8Array(bytes.length + ffs);
    let j = 0;
    for (const b of bytes) {
      out[j++] = b;
      if (b === IP232_ESC) out[j++] = IP232_ESC;
    }
    return out;
  }

  /** The line-state message for DCD and RI, or nothing if neither changed. */
  modemState(dcd: boolean, ri: boolean): Uint8Array {
    const s = (dcd ? IP232_DCD : 0) | (ri ? IP232_RI : 0);
    if (s === this.state) return new Uint8Array(0);
    this.state = s;
    return Uint8Array.of(IP232_ESC, s);
  }

  /** Bytes held between calls: at most the one pending escape. */
  get retained(): number {
    return this.escaped ? 1 : 0;
  }
}
