/**
 * Packets decoded one per line the way pppd's `debug` prints them (the printpkt functions
 * of fsm/lcp/ipcp/ccp/ipv6cp/upap/chap-new.c): `[LCP ConfReq id=0x1 <asyncmap 0x0> <magic 0x...>]`.
 * Each protocol module's registry line points at its printer here. Passwords are never printed.
 */
import { parseControl } from './packet.js';
import { PROTO_CHAP, PROTO_EAP, PROTO_PAP, PROTO_LQR } from './protocols.js';
import { LcpOpt } from './lcp.js';
import { IpcpOpt } from './ipcp.js';
import { ip4ToString } from '../wire/ipv4.js';

const FSM_CODES = ['', 'ConfReq', 'ConfAck', 'ConfNak', 'ConfRej', 'TermReq', 'TermAck', 'CodeRej'];
const LCP_EXTRA: Record<number, string> = { 8: 'ProtRej', 9: 'EchoReq', 10: 'EchoRep', 11: 'DiscReq', 12: 'Ident', 13: 'TimeRem' };
const CCP_EXTRA: Record<number, string> = { 14: 'ResetReq', 15: 'ResetAck' };

function hex(b: Uint8Array): string {
  return [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
}

/** pppd's " %.2x" per octet. */
function spacedHex(b: Uint8Array): string {
  return [...b].map((x) => ` ${x.toString(16).padStart(2, '0')}`).join('');
}

/** pppd print_string: quoted, with \\, \", \n, \r, \t and octal escapes. */
export function quoted(b: Uint8Array): string {
  let s = '';
  for (const c of b) {
    if (c >= 0x20 && c <= 0x7e) s += c === 0x22 || c === 0x5c ? `\\${String.fromCharCode(c)}` : String.fromCharCode(c);
    else if (c === 0x0a) s += '\\n';
    else if (c === 0x0d) s += '\\r';
    else if (c === 0x09) s += '\\t';
    else s += `\\${c.toString(8).padStart(3, '0')}`;
  }
  return `"${s}"`;
}

function u32hex(v: Buffer, at = 0): string {
  return `0x${v.readUInt32BE(at).toString(16)}`;
}

/**
 * One option, as `<name value>`; what the printer does not understand (or the rest of an
 * option past what it understood) is printed in hex as pppd does: `< 0d 03 06>`.
 */
type OptionPrinter = (type: number, v: Buffer) => { text: string; used: number } | undefined;

const ENDPOINT_CLASSES = ['null', 'local', 'IP', 'MAC', 'magic', 'phone'];

/** pppd multilink.c epdisc_to_str. */
function endpoint(v: Buffer): string {
  const cls = v[0]!;
  const addr = v.subarray(1, 21);
  if (cls === 0 && addr.length === 0) return 'null';
  if (cls === 2 && addr.length === 4) return `IP:${ip4ToString(addr.readUInt32BE(0))}`;
  let sep2 = '.';
  let mask = 0;
  if (cls === 3 && addr.length === 6) sep2 = ':';
  else if (cls === 4 && addr.length % 4 === 0) mask = 3;
  let s = cls <= 5 ? ENDPOINT_CLASSES[cls]! : String(cls);
  let sep = ':';
  addr.forEach((b, i) => {
    if ((i & mask) === 0) {
      s += sep;
      sep = sep2;
    }
    s += b.toString(16).padStart(2, '0');
  });
  return s;
}

const lcpOption: OptionPrinter = (type, v) => {
  switch (type) {
    case LcpOpt.MRU:
      return v.length === 2 ? { text: `mru ${v.readUInt16BE(0)}`, used: 2 } : undefined;
    case LcpOpt.ACCM:
      return v.length === 4 ? { text: `asyncmap ${u32hex(v)}`, used: 4 } : undefined;
    case LcpOpt.AuthProto: {
      if (v.length < 2) return undefined;
      const p = v.readUInt16BE(0);
      if (p === PROTO_PAP) return { text: 'auth pap', used: 2 };
      if (p === PROTO_EAP) return { text: 'auth eap', used: 2 };
      if (p === PROTO_CHAP) {
        const digest: Record<number, string> = { 5: ' MD5', 0x80: ' MS', 0x81: ' MS-v2' };
        const d = v[2] === undefined ? undefined : digest[v[2]];
        return { text: `auth chap${d ?? ''}`, used: d ? 3 : 2 };
      }
      return { text: `auth 0x${p.toString(16)}`, used: 2 };
    }
    case LcpOpt.Quality: {
      if (v.length < 2) return undefined;
      const p = v.readUInt16BE(0);
      return { text: `quality ${p === PROTO_LQR ? 'lqr' : `0x${p.toString(16)}`}`, used: 2 };
    }
    case LcpOpt.Callback:
      if (v.length < 1) return undefined;
      return { text: `callback ${v[0] === 6 ? 'CBCP' : `0x${v[0]!.toString(16)}`}`, used: 1 };
    case LcpOpt.Magic:
      return v.length === 4 ? { text: `magic ${u32hex(v)}`, used: 4 } : undefined;
    case LcpOpt.PFC:
      return v.length === 0 ? { text: 'pcomp', used: 0 } : undefined;
    case LcpOpt.ACFC:
      return v.length === 0 ? { text: 'accomp', used: 0 } : undefined;
    case LcpOpt.MRRU:
      return v.length === 2 ? { text: `mrru ${v.readUInt16BE(0)}`, used: 2 } : undefined;
    case LcpOpt.SSNHF:
      return v.length === 0 ? { text: 'ssnhf', used: 0 } : undefined;
    case LcpOpt.Endpoint:
      return v.length >= 1 ? { text: `endpoint [${endpoint(v)}]`, used: v.length } : undefined;
    default:
      return undefined;
  }
};

const ipcpOption: OptionPrinter = (type, v) => {
  const addr = (name: string) => (v.length === 4 ? { text: `${name} ${ip4ToString(v.readUInt32BE(0))}`, used: 4 } : undefined);
  switch (type) {
    case IpcpOpt.Addresses:
      return v.length === 8 ? { text: `addrs ${ip4ToString(v.readUInt32BE(0))} ${ip4ToString(v.readUInt32BE(4))}`, used: 8 } : undefined;
    case IpcpOpt.Compression: {
      if (v.length < 2) return undefined;
      const p = v.readUInt16BE(0);
      if (p === 0x2d) return { text: 'compress VJ', used: 2 }; // slots and flag follow as hex
      if (p === 0x37) return { text: 'compress old-VJ', used: 2 };
      return { text: `compress 0x${p.toString(16)}`, used: 2 };
    }
    case IpcpOpt.Address:
      return addr('addr');
    case IpcpOpt.PrimaryDns:
      return addr('ms-dns1');
    case IpcpOpt.SecondaryDns:
      return addr('ms-dns2');
    case IpcpOpt.PrimaryNbns:
    case IpcpOpt.SecondaryNbns:
      return addr('ms-wins');
    default:
      return undefined;
  }
};

/** RFC 3078 §2 / pppd ccp.c: MPPE's supported-bits word, Deflate (RFC 1979), BSD-Compress (RFC 1977). */
const ccpOption: OptionPrinter = (type, v) => {
  switch (type) {
    case 18: {
      if (v.length < 4) return undefined;
      const [b0, b1, b2, b3] = [v[0]!, v[1]!, v[2]!, v[3]!];
      const bit = (set: boolean, c: string) => `${set ? '+' : '-'}${c}`;
      const unknown = (b0 & ~0x01) !== 0 || b1 !== 0 || b2 !== 0 || (b3 & ~0xf1) !== 0;
      let text = `mppe ${bit(!!(b0 & 0x01), 'H')} ${bit(!!(b3 & 0x80), 'M')} ${bit(!!(b3 & 0x40), 'S')} ${bit(!!(b3 & 0x20), 'L')} ${bit(!!(b3 & 0x10), 'D')} ${bit(!!(b3 & 0x01), 'C')}`;
      if (unknown) text += ` +U (${[b0, b1, b2, b3].map((x) => x.toString(16).padStart(2, '0')).join(' ')})`;
      return { text, used: 4 };
    }
    case 24:
    case 26: {
      if (v.length < 2) return undefined;
      let text = `deflate${type === 24 ? '(old#)' : ''} ${(v[0]! >> 4) + 8}`;
      if ((v[0]! & 0x0f) !== 8) text += ` method ${v[0]! & 0x0f}`;
      if (v[1] !== 0) text += ` check ${v[1]}`;
      return { text, used: 2 };
    }
    case 21:
      return v.length >= 1 ? { text: `bsd v${v[0]! >> 5} ${v[0]! & 0x1f}`, used: 1 } : undefined;
    case 1:
      return { text: 'predictor 1', used: 0 };
    case 2:
      return { text: 'predictor 2', used: 0 };
    default:
      return undefined;
  }
};

/** RFC 5072 §4.1: the interface identifier, printed as pppd's llv6_ntoa. */
const ipv6cpOption: OptionPrinter = (type, v) => {
  if (type === 1 && v.length === 8) {
    // eui64_ntoa: "%02x%02x:..." (zero-padded groups).
    const h = v.toString('hex');
    return { text: `addr fe80::${h.slice(0, 4)}:${h.slice(4, 8)}:${h.slice(8, 12)}:${h.slice(12, 16)}`, used: 8 };
  }
  if (type === 2 && v.length >= 2) return { text: `compress 0x${v.readUInt16BE(0).toString(16)}`, used: 2 };
  return undefined;
};

function options(d: Buffer, printer: OptionPrinter): string {
  let s = '';
  let at = 0;
  while (d.length - at >= 2) {
    const type = d[at]!;
    const len = d[at + 1]!;
    if (len < 2 || len > d.length - at) break;
    const v = d.subarray(at + 2, at + len);
    const known = printer(type, v);
    s += ' <';
    if (known) s += known.text + spacedHex(v.subarray(known.used));
    else s += spacedHex(d.subarray(at, at + len));
    s += '>';
    at += len;
  }
  return s + spacedHex(d.subarray(at).subarray(0, 32));
}

function fsmPacket(name: string, info: Buffer, printer: OptionPrinter, extra: Record<number, string> = {}): string {
  const pkt = parseControl(info);
  if (!pkt) return `[${name}${spacedHex(info.subarray(0, 32))}${info.length > 32 ? ' ...' : ''}]`;
  const codeName = FSM_CODES[pkt.code] || extra[pkt.code];
  let s = `[${name} ${codeName ?? `code=0x${pkt.code.toString(16)}`} id=0x${pkt.id.toString(16)}`;
  let d = pkt.data;
  if (pkt.code >= 1 && pkt.code <= 4) {
    return `${s}${options(d, printer)}]`;
  }
  if (pkt.code === 5 || pkt.code === 6) {
    // pppd prints the text only when it starts with a printable character.
    if (d.length && d[0]! >= 0x20 && d[0]! < 0x7f) return `${s} ${quoted(d)}]`;
  } else if (extra === LCP_EXTRA && pkt.code >= 9 && pkt.code <= 13 && d.length >= 4) {
    s += ` magic=${u32hex(d)}`;
    d = d.subarray(4);
    if (pkt.code === 13) {
      if (d.length < 4) return `${s}${spacedHex(d)}]`;
      s += ` seconds=${d.readUInt32BE(0)}`;
      d = d.subarray(4);
    }
    if (pkt.code >= 12 && d.length) return `${s} ${quoted(d)}]`;
  } else if (extra === LCP_EXTRA && pkt.code === 8 && d.length >= 2) {
    s += ` proto=0x${d.readUInt16BE(0).toString(16)}`;
    d = d.subarray(2);
  }
  return `${s}${spacedHex(d.subarray(0, 32))}${d.length > 32 ? ' ...' : ''}]`;
}

export const printLcp = (info: Buffer) => fsmPacket('LCP', info, lcpOption, LCP_EXTRA);
export const printIpcp = (info: Buffer) => fsmPacket('IPCP', info, ipcpOption);
export const printCcp = (info: Buffer) => fsmPacket('CCP', info, ccpOption, CCP_EXTRA);
export const printIpv6cp = (info: Buffer) => fsmPacket('IPV6CP', info, ipv6cpOption);
/** A control protocol we print generically (options in hex). */
export const printFsm = (name: string) => (info: Buffer) => fsmPacket(name, info, () => undefined);

export function printPap(info: Buffer): string {
  const pkt = parseControl(info);
  if (!pkt) return `[PAP${spacedHex(info.subarray(0, 32))}]`;
  const names = ['', 'AuthReq', 'AuthAck', 'AuthNak'];
  let s = `[PAP ${names[pkt.code] ?? `code=0x${pkt.code.toString(16)}`} id=0x${pkt.id.toString(16)}`;
  const d = pkt.data;
  if (pkt.code === 1 && d.length >= 1 && d.length >= 1 + d[0]!) {
    s += ` user=${quoted(d.subarray(1, 1 + d[0]!))} password=<hidden>`;
  } else if ((pkt.code === 2 || pkt.code === 3) && d.length >= 1) {
    s += ` ${quoted(d.subarray(1, 1 + d[0]!))}`;
  }
  return `${s}]`;
}

export function printChap(info: Buffer): string {
  const pkt = parseControl(info);
  if (!pkt) return `[CHAP${spacedHex(info.subarray(0, 32))}]`;
  const names = ['', 'Challenge', 'Response', 'Success', 'Failure'];
  let s = `[CHAP ${names[pkt.code] ?? `code=0x${pkt.code.toString(16)}`} id=0x${pkt.id.toString(16)}`;
  const d = pkt.data;
  if ((pkt.code === 1 || pkt.code === 2) && d.length >= 1 && d.length >= 1 + d[0]!) {
    s += ` <${hex(d.subarray(1, 1 + d[0]!))}>, name = ${quoted(d.subarray(1 + d[0]!))}`;
  } else if (pkt.code === 3 || pkt.code === 4) {
    s += ` ${quoted(d)}`;
  } else {
    s += spacedHex(d.subarray(0, 32));
  }
  return `${s}]`;
}

/** What pppd prints for a protocol nobody here decodes. */
export function printUnknown(protocol: number, info: Buffer): string {
  return `[proto=0x${protocol.toString(16)}${spacedHex(info.subarray(0, 32))}${info.length > 32 ? ' ...' : ''}]`;
}
