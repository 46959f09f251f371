/**
 * What the server prints before the line switches to SLIP: the wording of the terminal
 * servers of the era (Livingston PortMaster, Cisco: "Entering SLIP mode." and "Your IP address
 * is A.B.C.D, MTU is N bytes"), which dial-up scripts parse (Trumpet Winsock's `address`,
 * chat's REPORT, dip's `get $local remote`): each address stands alone, followed by a comma
 * or the line end, never by a period that a parser could take into it.
 */
export interface SlipBannerInfo {
  mode: 'slip' | 'cslip';
  address: string;
  gateway: string;
  dns: string;
  mtu: number;
}

export function slipBanner(b: SlipBannerInfo): string {
  return [
    `Entering ${b.mode === 'cslip' ? 'CSLIP' : 'SLIP'} mode.`,
    `Your IP address is ${b.address}, MTU is ${b.mtu} bytes`,
    `Server address is ${b.gateway}`,
    `DNS address is ${b.dns}`,
    b.mode === 'cslip' ? 'Header compression is on (RFC 1144, 16 slots).' : 'Header compression is off.',
    '',
  ].join('\r\n');
}
