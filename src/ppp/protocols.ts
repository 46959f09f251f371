/** PPP protocol numbers (RFC 1661 §2, IANA "PPP DLL Protocol Numbers") and pppd's names for them. */
export const PROTO_IP = 0x0021;
export const PROTO_IPV6 = 0x0057;
export const PROTO_VJ_COMP = 0x002d;
export const PROTO_VJ_UNCOMP = 0x002f;
export const PROTO_IPCP = 0x8021;
export const PROTO_IPV6CP = 0x8057;
export const PROTO_CCP = 0x80fd;
export const PROTO_LCP = 0xc021;
export const PROTO_PAP = 0xc023;
export const PROTO_LQR = 0xc025;
export const PROTO_CHAP = 0xc223;
export const PROTO_EAP = 0xc227;

const NAMES: Record<number, string> = {
  [PROTO_IP]: 'IP',
  [PROTO_IPV6]: 'IPv6',
  [PROTO_IPCP]: 'IPCP',
  [PROTO_IPV6CP]: 'IPV6CP',
  [PROTO_CCP]: 'CCP',
  [PROTO_LCP]: 'LCP',
  [PROTO_PAP]: 'PAP',
  [PROTO_CHAP]: 'CHAP',
  [PROTO_EAP]: 'EAP',
  [PROTO_LQR]: 'LQR',
};

export function protocolName(proto: number): string | undefined {
  return NAMES[proto];
}

/** pppd's long names, used in "Protocol-Reject for 'Internet Protocol Control Protocol' (0x8021) received". */
const LONG_NAMES: Record<number, string> = {
  [PROTO_IP]: 'Internet Protocol',
  [PROTO_IPCP]: 'Internet Protocol Control Protocol',
  [PROTO_IPV6CP]: 'IPv6 Control Protocol',
  [PROTO_CCP]: 'Compression Control Protocol',
  [PROTO_LCP]: 'Link Control Protocol',
  [PROTO_PAP]: 'Password Authentication Protocol',
  [PROTO_CHAP]: 'Challenge Handshake Authentication Protocol',
};

export function protocolLongName(proto: number): string | undefined {
  return LONG_NAMES[proto];
}
