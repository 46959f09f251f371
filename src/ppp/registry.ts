/**
 * The protocol table (pppd main.c `protocols[]`) and the authentication registry. Adding
 * a protocol is one module that exports a ProtocolModule, plus one line here; adding an
 * authentication method is one AuthMethod, plus one line in AUTH_METHODS (see README.md).
 */
import { PROTO_CCP, PROTO_CHAP, PROTO_EAP, PROTO_IPCP, PROTO_IPV6CP, PROTO_LCP, PROTO_PAP, protocolName } from './protocols.js';
import type { ProtocolModule } from './protent.js';
import type { AuthMethod } from './auth/methods.js';
import { AuthProtocol } from './auth/auth-protocol.js';
import { papMethod } from './auth/pap.js';
import { chapMethod } from './auth/chap.js';
import { chapMd5Digest } from './auth/chap-md5.js';
import { msChapDigest, msChapV2Digest } from './auth/chap-ms.js';
import { eapMethod, describeEap } from './auth/eap.js';
import { IpcpProtocol } from './ipcp.js';
import { Ipv6cpProtocol } from './ipv6cp.js';
import { CcpProtocol } from './ccp/ccp.js';
import { printCcp, printChap, printFsm, printIpcp, printIpv6cp, printLcp, printPap, printUnknown } from './print.js';

/** pppd 2.4.9's order of preference: EAP, CHAP (MD5, MS-CHAPv2, MS-CHAP), PAP. */
export const AUTH_METHODS: readonly AuthMethod[] = [
  eapMethod,
  chapMethod('chap-md5', chapMd5Digest, (o) => o.requireChap, (o) => o.refuseChap),
  chapMethod('mschap-v2', msChapV2Digest, (o) => o.requireMschapV2, (o) => o.refuseMschapV2),
  chapMethod('mschap', msChapDigest, (o) => o.requireMschap, (o) => o.refuseMschap),
  papMethod,
];

function authProtocol(name: string, protocol: number, print: (info: Buffer) => string): ProtocolModule {
  return { name, protocol, print, create: (ctx) => new AuthProtocol(name, protocol, ctx) };
}

/** Every protocol a session runs besides LCP (which the session owns: RFC 1661 §3). */
export const PROTOCOLS: readonly ProtocolModule[] = [
  authProtocol('PAP', PROTO_PAP, printPap),
  authProtocol('CHAP', PROTO_CHAP, printChap),
  authProtocol('EAP', PROTO_EAP, describeEap),
  { name: 'IPCP', protocol: PROTO_IPCP, print: printIpcp, create: (ctx) => new IpcpProtocol(ctx) },
  { name: 'CCP', protocol: PROTO_CCP, print: printCcp, create: (ctx) => new CcpProtocol(ctx), enabled: (o) => !o.noccp, kind: 'ccp' },
  { name: 'IPV6CP', protocol: PROTO_IPV6CP, print: printIpv6cp, create: (ctx) => new Ipv6cpProtocol(ctx), enabled: (o) => !o.noipv6, kind: 'ncp' },
];

/** Printed in `debug` lines though not run here (LCP is the session's own). */
const PRINT_ONLY: Record<number, (info: Buffer) => string> = {
  [PROTO_LCP]: printLcp,
};

/** One pppd-style description of a PPP packet (protocol + Information field). */
export function describePacket(protocol: number, info: Buffer): string {
  const print = PROTOCOLS.find((m) => m.protocol === protocol)?.print ?? PRINT_ONLY[protocol];
  if (print) return print(info);
  const name = protocolName(protocol);
  if (name && protocol >= 0x8000) return printFsm(name)(info);
  return printUnknown(protocol, info);
}
