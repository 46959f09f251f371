// Authentication of PPP peers through RADIUS (RFC 2865, RFC 2548 for MS-CHAP): turns a
// CredentialRequest of the PPP core's authenticator roles into an Access-Request, and the
// answer into the PPP verdict (the Success/Failure text, MPPE keys) plus the grant that shapes
// the session (address, timeouts, Class, ...), as pppd's radius plugin and accel-ppp apply it.

import { attr, vendorSpecific, findAttribute, findAttributes, findVendorAttribute, bufferToInteger, bufferToIpv4, RadiusCode, type RadiusAttribute } from './packet.js';
import { decryptMppeKey } from './crypto.js';
import { MICROSOFT_VENDOR_ID } from './dictionary.js';
import { decryptMsChapMppeKeys, msChapV1KeysFromRadius } from './mschap-mppe-keys.js';
import type { RadiusRequest, RadiusResult } from './client.js';
import type { CredentialRequest, ExternalVerdict, ExternalVerifier } from '../ppp/auth/external.js';

const A = {
  UserName: 1, ChapPassword: 3, NasIpAddress: 4, NasPort: 5, ServiceType: 6, FramedProtocol: 7, FramedIpAddress: 8,
  FilterId: 11, FramedMtu: 12, ReplyMessage: 18, State: 24, Class: 25, SessionTimeout: 27, IdleTimeout: 28,
  CalledStationId: 30, CallingStationId: 31, NasIdentifier: 32, ChapChallenge: 60, NasPortType: 61, ConnectInfo: 77,
  AcctInterimInterval: 85, FramedPool: 88,
} as const;
const MS = { ChapResponse: 1, ChapError: 2, ChapMppeKeys: 12, ChapChallenge: 11, MppeSendKey: 16, MppeRecvKey: 17, Chap2Response: 25, Chap2Success: 26, PrimaryDns: 28, SecondaryDns: 29, MppeEncryptionPolicy: 7, MppeEncryptionTypes: 8 } as const;

/** RFC 2865 §5.41 NAS-Port-Type values we use. */
export const NAS_PORT_TYPE = { Async: 0, Virtual: 5 } as const;

const CHAP_MD5 = 5;
const MSCHAP_V1 = 0x80;
const MSCHAP_V2 = 0x81;

/** Where the call came from: the request attributes that describe the port (RFC 2865 §5.5, §5.30-31, §5.41, RFC 2869 §5.11). */
export interface CallContext {
  nasPort: number;
  nasPortType: number;
  callingStationId?: string;
  calledStationId?: string;
  connectInfo?: string;
}

export interface NasIdentity {
  nasIdentifier: string;
  nasIpAddress?: string;
}

/** What an Access-Accept grants the session (only what it said). */
export interface RadiusGrant {
  user: string;
  /** A fixed address; `pool` for 255.255.255.254 (RFC 2865 §5.8: "the NAS should select"). */
  framedIp?: string | 'pool';
  framedPool?: string;
  sessionTimeout?: number;
  idleTimeout?: number;
  acctInterimInterval?: number;
  framedMtu?: number;
  dns?: string[];
  filterId?: string;
  /** RFC 2865 §5.25: echoed unmodified in accounting. */
  classes: Buffer[];
  replyMessage?: string;
  /** RFC 2548 §2.4.4 MS-MPPE-Encryption-Policy (1 allowed, 2 required) and §2.4.5 -Types (2: 40-bit, 4: 128-bit). */
  mppePolicy?: number;
  mppeTypes?: number;
}

/** Builds the Access-Request for a PPP credential (without User-Password hiding, which the client does per server). */
export function accessRequestFor(c: CredentialRequest, nas: NasIdentity, call: CallContext): RadiusRequest | undefined {
  const attributes: RadiusAttribute[] = [attr.string(A.UserName, c.user)];
  let userPassword: Buffer | undefined;
  if (c.method === 'pap') {
    if (c.password.length > 128) return undefined;
    userPassword = Buffer.from(c.password);
  } else if (c.digest === CHAP_MD5) {
    // RFC 2865 §5.3: the CHAP Identifier then the 16-octet Response; §5.40 the Challenge.
    if (c.response.length !== 16) return undefined;
    attributes.push({ type: A.ChapPassword, value: Buffer.concat([Buffer.from([c.id]), c.response]) });
    attributes.push({ type: A.ChapChallenge, value: Buffer.from(c.challenge) });
  } else if (c.digest === MSCHAP_V2) {
    // RFC 2548 §2.3.2: Ident, Flags, Peer-Challenge(16), Reserved(8), Response(24); the CHAP
    // Response Value is Peer-Challenge, Reserved, NT-Response, Flags (RFC 2759 §4).
    if (c.response.length !== 49) return undefined;
    attributes.push(vendorSpecific(MICROSOFT_VENDOR_ID, MS.ChapChallenge, Buffer.from(c.challenge)));
    attributes.push(vendorSpecific(MICROSOFT_VENDOR_ID, MS.Chap2Response, Buffer.concat([Buffer.from([c.id, c.response[48]!]), c.response.subarray(0, 48)])));
  } else if (c.digest === MSCHAP_V1) {
    // RFC 2548 §2.1.3: Ident, Flags, LM-Response(24), NT-Response(24); the CHAP Value is LM, NT, Flags (RFC 2433).
    if (c.response.length !== 49) return undefined;
    attributes.push(vendorSpecific(MICROSOFT_VENDOR_ID, MS.ChapChallenge, Buffer.from(c.challenge)));
    attributes.push(vendorSpecific(MICROSOFT_VENDOR_ID, MS.ChapResponse, Buffer.concat([Buffer.from([c.id, c.response[48]!]), c.response.subarray(0, 48)])));
  } else {
    return undefined;
  }
  attributes.push(attr.integer(A.ServiceType, 2), attr.integer(A.FramedProtocol, 1)); // Framed-User, PPP
  attributes.push(attr.string(A.NasIdentifier, nas.nasIdentifier));
  if (nas.nasIpAddress) attributes.push(attr.ipaddr(A.NasIpAddress, nas.nasIpAddress));
  attributes.push(attr.integer(A.NasPort, call.nasPort), attr.integer(A.NasPortType, call.nasPortType));
  if (call.callingStationId) attributes.push(attr.string(A.CallingStationId, call.callingStationId.slice(0, 253)));
  if (call.calledStationId) attributes.push(attr.string(A.CalledStationId, call.calledStationId.slice(0, 253)));
  if (call.connectInfo) attributes.push(attr.string(A.ConnectInfo, call.connectInfo.slice(0, 253)));
  return { code: RadiusCode.AccessRequest, attributes, userPassword };
}

/** The PPP verdict and the grant from a RADIUS answer. */
export function verdictFrom(c: CredentialRequest, r: RadiusResult): { verdict: ExternalVerdict; grant?: RadiusGrant; why: string } {
  if (!r.ok) return { verdict: { ok: false }, why: `no RADIUS answer (${r.reason})` };
  const p = r.response;
  const reply = findAttributes(p, A.ReplyMessage).map((b) => b.toString('utf8')).join('\n') || undefined;
  const ms = (t: number) => findVendorAttribute(p, MICROSOFT_VENDOR_ID, t);
  const isMs = c.method === 'chap' && (c.digest === MSCHAP_V2 || c.digest === MSCHAP_V1);
  if (p.code !== RadiusCode.AccessAccept) {
    // RFC 2548 §2.1.5 MS-CHAP-Error: Ident then the "E=691 R=0 ..." text the peer parses.
    const err = isMs ? ms(MS.ChapError) : undefined;
    const message = err && err.length > 1 ? err.subarray(1) : reply !== undefined && !isMs ? Buffer.from(reply.slice(0, 255), 'utf8') : undefined;
    const what = p.code === RadiusCode.AccessChallenge ? 'Access-Challenge (not supported for this method)' : 'Access-Reject';
    return { verdict: { ok: false, message }, why: what };
  }
  let message: Buffer | undefined;
  let keys: ExternalVerdict['keys'];
  if (c.method === 'chap' && c.digest === MSCHAP_V2) {
    // RFC 2548 §2.3.3 MS-CHAP2-Success: Ident then "S=<authenticator response>"; without it
    // the peer cannot check us and fails (RFC 2759 §5), so refuse it here.
    const success = ms(MS.Chap2Success);
    if (!success || success.length < 43) return { verdict: { ok: false }, why: 'Access-Accept without MS-CHAP2-Success' };
    message = success.subarray(1);
    const send = ms(MS.MppeSendKey);
    const recv = ms(MS.MppeRecvKey);
    const s = send && decryptMppeKey(send, r.secret, r.requestAuthenticator);
    const v = recv && decryptMppeKey(recv, r.secret, r.requestAuthenticator);
    // MS-MPPE-Send-Key is what the NAS sends with (RFC 2548 §2.4.2); 16 octets of start key (RFC 3079 §3.4).
    if (s && v && s.length >= 16 && v.length >= 16) keys = { send: Buffer.from(s.subarray(0, 16)), recv: Buffer.from(v.subarray(0, 16)) };
  } else if (c.method === 'chap' && c.digest === MSCHAP_V1) {
    // RFC 2548 §2.4.1 MS-CHAP-MPPE-Keys: the NT key, from which the start key is made with
    // our challenge (RFC 3079 §2.4), as pppd's radius plugin (mschap-mppe-keys.ts).
    const hidden = ms(MS.ChapMppeKeys);
    const v1 = hidden && decryptMsChapMppeKeys(hidden, r.secret, r.requestAuthenticator);
    if (v1) {
      keys = msChapV1KeysFromRadius(c.challenge, v1.ntKey);
      v1.ntKey.fill(0);
      v1.lmKey.fill(0);
    }
    if (reply !== undefined) message = Buffer.from(reply.slice(0, 255), 'utf8');
  } else if (reply !== undefined) {
    message = Buffer.from(reply.slice(0, 255), 'utf8');
  }
  const msInt = (t: number) => { const b = ms(t); return b && b.length === 4 ? b.readUInt32BE(0) : undefined; };
  const int = (t: number) => { const b = findAttribute(p, t); return b ? bufferToInteger(b) : undefined; };
  const ipb = findAttribute(p, A.FramedIpAddress);
  const ip = ipb ? bufferToIpv4(ipb) : undefined;
  const dns = [ms(MS.PrimaryDns), ms(MS.SecondaryDns)].map((b) => (b ? bufferToIpv4(b) : undefined)).filter((x): x is string => !!x);
  const grant: RadiusGrant = {
    user: c.user,
    framedIp: ip === '255.255.255.254' || ip === '255.255.255.255' ? 'pool' : ip,
    framedPool: findAttribute(p, A.FramedPool)?.toString('utf8'),
    sessionTimeout: int(A.SessionTimeout),
    idleTimeout: int(A.IdleTimeout),
    acctInterimInterval: int(A.AcctInterimInterval),
    framedMtu: int(A.FramedMtu),
    dns: dns.length ? dns : undefined,
    filterId: findAttribute(p, A.FilterId)?.toString('utf8'),
    classes: findAttributes(p, A.Class).map((b) => Buffer.from(b)),
    replyMessage: reply,
  };
  // Only what the answer said (RFC 2548 §2.4.4/§2.4.5): absent stays absent.
  const mppePolicy = msInt(MS.MppeEncryptionPolicy);
  const mppeTypes = msInt(MS.MppeEncryptionTypes);
  if (mppePolicy !== undefined) grant.mppePolicy = mppePolicy;
  if (mppeTypes !== undefined) grant.mppeTypes = mppeTypes;
  return { verdict: { ok: true, message, keys }, grant, why: 'Access-Accept' };
}

/** How a session asks RADIUS (shared by the verifier here and the EAP relay). */
export interface RadiusAskOptions {
  ask: (r: RadiusRequest) => Promise<RadiusResult>;
  nas: NasIdentity;
  call: () => CallContext;
  /** Before asking: false refuses at once (the user is in its failure delay). */
  admit?: (user: string) => boolean;
  granted: (g: RadiusGrant) => void;
  log: (m: string) => void;
}

/** The PPP core's verifier for one session, asking through `ask` (a RadiusUdpClient's request). */
export function radiusVerifier(o: RadiusAskOptions): ExternalVerifier {
  return (c, answer) => {
    if (o.admit && !o.admit(c.user)) return answer({ ok: false });
    const req = accessRequestFor(c, o.nas, o.call());
    if (!req) {
      o.log(`RADIUS: cannot carry this ${c.method === 'pap' ? 'PAP' : `CHAP ${c.digest}`} response for ${JSON.stringify(c.user)}`);
      return answer({ ok: false });
    }
    void o.ask(req).then((r) => {
      req.userPassword?.fill(0);
      const { verdict, grant, why } = verdictFrom(c, r);
      o.log(`RADIUS: ${why} for ${JSON.stringify(c.user)}`);
      if (grant) o.granted(grant);
      answer(verdict);
    });
  };
}
