/**
 * Accounting-Request attributes (RFC 2866 §5, RFC 2869 §5) for one spooled record. Sans-IO:
 * record and delay in, attributes out; the sender signs and sends them.
 */
import { attr, type RadiusAttribute } from './packet.js';
import { ACCT_STATUS, type AcctRecord } from './accounting.js';
import { TERMINATE_CAUSE } from './terminate-cause.js';

export const A = {
  UserName: 1, NasIpAddress: 4, NasPort: 5, ServiceType: 6, FramedProtocol: 7, FramedIpAddress: 8, FilterId: 11,
  Class: 25, SessionTimeout: 27, IdleTimeout: 28, CalledStationId: 30, CallingStationId: 31, NasIdentifier: 32,
  AcctStatusType: 40, AcctDelayTime: 41, AcctInputOctets: 42, AcctOutputOctets: 43, AcctSessionId: 44,
  AcctAuthentic: 45, AcctSessionTime: 46, AcctInputPackets: 47, AcctOutputPackets: 48, AcctTerminateCause: 49,
  AcctMultiSessionId: 50, AcctInputGigawords: 52, AcctOutputGigawords: 53, EventTimestamp: 55, NasPortType: 61,
  ConnectInfo: 77, AcctInterimInterval: 85, ErrorCause: 101,
} as const;

const GIGA = 2 ** 32;

export interface NasIdentity {
  nasIdentifier?: string;
  nasIpAddress?: string;
}

export function acctAttributes(r: AcctRecord, delaySeconds: number, nas: NasIdentity): RadiusAttribute[] {
  const out: RadiusAttribute[] = [attr.integer(A.AcctStatusType, ACCT_STATUS[r.status])];
  // RFC 2865 §5.4/§5.32: a NAS identifies itself by NAS-IP-Address or NAS-Identifier (or both).
  if (nas.nasIpAddress) out.push(attr.ipaddr(A.NasIpAddress, nas.nasIpAddress));
  out.push(attr.string(A.NasIdentifier, nas.nasIdentifier ?? 'dialtone'));
  if (r.sessionId) {
    out.push(attr.string(A.AcctSessionId, r.sessionId));
    if (r.multiSessionId) out.push(attr.string(A.AcctMultiSessionId, r.multiSessionId));
    if (r.user) out.push(attr.string(A.UserName, r.user.slice(0, 253)));
    if (r.nasPort !== undefined) out.push(attr.integer(A.NasPort, r.nasPort));
    if (r.nasPortType) out.push(attr.integer(A.NasPortType, r.nasPortType === 'Async' ? 0 : 5));
    out.push(attr.integer(A.ServiceType, 2), attr.integer(A.FramedProtocol, 1)); // Framed, PPP
    if (r.framedIp) out.push(attr.ipaddr(A.FramedIpAddress, r.framedIp));
    if (r.callingStationId) out.push(attr.string(A.CallingStationId, r.callingStationId.slice(0, 253)));
    if (r.calledStationId) out.push(attr.string(A.CalledStationId, r.calledStationId.slice(0, 253)));
    if (r.connectInfo) out.push(attr.string(A.ConnectInfo, r.connectInfo.slice(0, 253)));
    for (const c of r.classes ?? []) out.push(attr.string(A.Class, Buffer.from(c, 'hex')));
    out.push(attr.integer(A.AcctAuthentic, 1));
    if (r.sessionTime !== undefined) out.push(attr.integer(A.AcctSessionTime, r.sessionTime));
    // RFC 2869 §5.1/5.2: the octet counters wrap at 2^32; Gigawords count the wraps.
    if (r.inputOctets !== undefined) out.push(attr.integer(A.AcctInputOctets, r.inputOctets % GIGA), attr.integer(A.AcctInputGigawords, Math.floor(r.inputOctets / GIGA)));
    if (r.outputOctets !== undefined) out.push(attr.integer(A.AcctOutputOctets, r.outputOctets % GIGA), attr.integer(A.AcctOutputGigawords, Math.floor(r.outputOctets / GIGA)));
    if (r.inputPackets !== undefined) out.push(attr.integer(A.AcctInputPackets, r.inputPackets % GIGA));
    if (r.outputPackets !== undefined) out.push(attr.integer(A.AcctOutputPackets, r.outputPackets % GIGA));
    if (r.terminateCause) out.push(attr.integer(A.AcctTerminateCause, TERMINATE_CAUSE[r.terminateCause]));
  }
  // RFC 2869 §5.3 Event-Timestamp: when it happened; RFC 2866 §5.2 Acct-Delay-Time: how long it waited.
  out.push(attr.integer(A.EventTimestamp, Math.floor(r.time / 1000)));
  out.push(attr.integer(A.AcctDelayTime, delaySeconds));
  return out;
}
