/**
 * Control packets decoded one per line the way pppd's `debug` prints them
 * (fsm/lcp/ipcp/upap/chap printpkt): `[LCP ConfReq id=0x1 <asyncmap 0x0> <magic 0x...>]`.
 * Passwords are never printed.
 */
import { parseControl, parseOptions, type ConfigOption } from './packet.js';
import { PROTO_CHAP, PROTO_IPCP, PROTO_LCP, PROTO_PAP, protocolName } from './protocols.js';
import { LcpOpt, CHAP_MD5 } from './lcp.js';
import { IpcpOpt } from './ipcp.js';
import { ip4ToString } from '../wire/ipv4.js';

const FSM_CODES = ['', 'ConfReq', 'ConfAck', 'ConfNak', 'ConfRej', 'TermReq', 'TermAck', 'CodeRej'];
const LCP_EXTRA: Record<number, string> = { 8: 'ProtRej', 9: 'EchoReq', 10: 'EchoRep', 11: 'DiscReq', 12: 'Ident', 13: 'TimeRem' };

function hex(b: Uint8Array): string {
  return [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
}

function spacedHex(b: Uint8Array): string {
  return [...b].map((x) => x.toString(16).padStart(2, '0')).join(' ');
}

function quoted(b: Uint8Array): string {
  let s = '';
  for (const c of b) {
    if (c === 0x22 || c === 0x5c) s += `\\${String.fromCharCode(c)}`;
    else if (c >= 0x20 && c < 0x7f) s += String.fromCharCode(c);
    else s += `\\${c.toString(8).padStart(3, '0')}`;
  }
  return `"${s}"`;
}

function u32hex(v: Buffer): string {
  return `0x${v.readUInt32BE(0).toString(16)}`;
}

function lcpOption(o: ConfigOption): string {
  const v = o.value;
  switch (o.type) {
    case LcpOpt.MRU:
      if (v.length === 2) return `<mru ${v.readUInt16BE(0)}>`;
      break;
    case LcpOpt.ACCM:
      if (v.length === 4) return `<asyncmap ${u32hex(v)}>`;
      break;
    case LcpOpt.AuthProto:
      if (v.length >= 2) {
        const p = v.readUInt16BE(0);
        if (p === PROTO_PAP) return '<auth pap>';
        if (p === PROTO_CHAP) {
          const d = v[2];
          const digest = d === CHAP_MD5 ? 'MD5' : d === 0x80 ? 'MS' : d === 0x81 ? 'MS-v2' : d === undefined ? '' : `0x${d.toString(16)}`;
          return `<auth chap ${digest}>`.replace(' >', '>');
        }
        if (p === 0xc227) return '<auth eap>';
        return `<auth 0x${p.toString(16)}>`;
      }
      break;
    case LcpOpt.Magic:
      if (v.length === 4) return `<magic ${u32hex(v)}>`;
      break;
    case LcpOpt.PFC:
      if (v.length === 0) return '<pcomp>';
      break;
    case LcpOpt.ACFC:
      if (v.length === 0) return '<accomp>';
      break;
  }
  return rawOption(o);
}

function ipcpOption(o: ConfigOption): string {
  const v = o.value;
  const names: Record<number, string> = {
    [IpcpOpt.Address]: 'addr',
    [IpcpOpt.PrimaryDns]: 'ms-dns1',
    [IpcpOpt.SecondaryDns]: 'ms-dns2',
    [IpcpOpt.PrimaryNbns]: 'ms-wins',
    [IpcpOpt.SecondaryNbns]: 'ms-wins',
  };
  const name = names[o.type];
  if (name && v.length === 4) return `<${name} ${ip4ToString(v.readUInt32BE(0))}>`;
  if (o.type === IpcpOpt.Addresses && v.length === 8) return `<addrs ${ip4ToString(v.readUInt32BE(0))} ${ip4ToString(v.readUInt32BE(4))}>`;
  if (o.type === IpcpOpt.Compression && v.length >= 2) {
    const p = v.readUInt16BE(0);
    return p === 0x2d ? `<compress VJ ${spacedHex(v.subarray(2))}>` : `<compress 0x${p.toString(16)}>`;
  }
  return rawOption(o);
}

function rawOption(o: ConfigOption): string {
  return `<${spacedHex(Buffer.concat([Buffer.from([o.type, o.value.length + 2]), o.value]))}>`;
}

function fsmPacket(name: string, info: Buffer, optionPrinter: (o: ConfigOption) => string): string {
  const pkt = parseControl(info);
  if (!pkt) return `[${name} (malformed) ${spacedHex(info)}]`;
  const codeName = FSM_CODES[pkt.code] ?? (name === 'LCP' ? LCP_EXTRA[pkt.code] : undefined) ?? `code=0x${pkt.code.toString(16)}`;
  let s = `[${name} ${codeName} id=0x${pkt.id.toString(16)}`;
  const d = pkt.data;
  if (pkt.code >= 1 && pkt.code <= 4) {
    const opts = parseOptions(d);
    if (opts) for (const o of opts) s += ` ${optionPrinter(o)}`;
    else if (d.length) s += ` ${spacedHex(d)}`;
  } else if (pkt.code === 5 || pkt.code === 6) {
    if (d.length) s += ` ${quoted(d)}`;
  } else if (name === 'LCP' && pkt.code >= 9 && pkt.code <= 11 && d.length >= 4) {
    s += ` magic=${u32hex(d)}`;
    if (d.length > 4) s += ` ${spacedHex(d.subarray(4))}`;
  } else if (name === 'LCP' && pkt.code === 8 && d.length >= 2) {
    const p = d.readUInt16BE(0);
    s += ` proto=0x${p.toString(16)}`;
    if (d.length > 2) s += ` ${spacedHex(d.subarray(2, 34))}${d.length > 34 ? ' ...' : ''}`;
  } else if (d.length) {
    s += ` ${spacedHex(d.subarray(0, 32))}${d.length > 32 ? ' ...' : ''}`;
  }
  return `${s}]`;
}

function papPacket(info: Buffer): string {
  const pkt = parseControl(info);
  if (!pkt) return `[PAP (malformed)]`;
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

function chapPacket(info: Buffer): string {
  const pkt = parseControl(info);
  if (!pkt) return `[CHAP (malformed)]`;
  const names = ['', 'Challenge', 'Response', 'Success', 'Failure'];
  let s = `[CHAP ${names[pkt.code] ?? `code=0x${pkt.code.toString(16)}`} id=0x${pkt.id.toString(16)}`;
  const d = pkt.data;
  if ((pkt.code === 1 || pkt.code === 2) && d.length >= 1 && d.length >= 1 + d[0]!) {
    s += ` <${hex(d.subarray(1, 1 + d[0]!))}>, name = ${quoted(d.subarray(1 + d[0]!))}`;
  } else if (d.length) {
    s += ` ${quoted(d)}`;
  }
  return `${s}]`;
}

/** One pppd-style description of a PPP packet (protocol + Information field). */
export function describePacket(protocol: number, info: Buffer): string {
  switch (protocol) {
    case PROTO_LCP:
      return fsmPacket('LCP', info, lcpOption);
    case PROTO_IPCP:
      return fsmPacket('IPCP', info, ipcpOption);
    case PROTO_PAP:
      return papPacket(info);
    case PROTO_CHAP:
      return chapPacket(info);
    default: {
      const name = protocolName(protocol);
      if (name && protocol >= 0x8000) return fsmPacket(name, info, rawOption);
      return `[proto=0x${protocol.toString(16)} ${spacedHex(info.subarray(0, 32))}${info.length > 32 ? ' ...' : ''}]`;
    }
  }
}
