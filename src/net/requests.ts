/**
 * What the sans-IO stack asks of its IO adapter ("host socket requests"), and the reasons
 * the adapter reports back. Ids are chosen by the stack; an adapter maps them to sockets.
 */
import type { DnsRecord } from './dns.js';

export type HostRequest =
  /** Open a TCP connection on the host; answer with tcpConnected / tcpConnectFailed. */
  | { type: 'tcp-connect'; id: number; host: string; port: number }
  /** Write client data into the socket; report tcpWritten(id, data.length) once flushed. */
  | { type: 'tcp-write'; id: number; data: Buffer }
  /** The client sent FIN: half-close the socket's writing side after pending writes. */
  | { type: 'tcp-end'; id: number }
  /** Backpressure: stop / start reading the host socket. */
  | { type: 'tcp-pause'; id: number }
  | { type: 'tcp-resume'; id: number }
  /** The connection was reset or abandoned: reset the host socket now. */
  | { type: 'tcp-abort'; id: number }
  /** Both directions are finished; forget the id (the socket closes by itself). */
  | { type: 'tcp-release'; id: number }
  /** Open a UDP socket connected to host:port; report datagrams with udpReceived. */
  | { type: 'udp-open'; id: number; host: string; port: number }
  | { type: 'udp-send'; id: number; data: Buffer }
  | { type: 'udp-close'; id: number }
  /** A client reply to a forwarded datagram: send it from the forward's listening socket. */
  | { type: 'udp-forward-reply'; forward: number; host: string; port: number; data: Buffer }
  /** Resolve for the virtual DNS; answer with dnsAnswered(id, result). */
  | { type: 'dns-query'; id: number; name: string; qtype: number };

/** Why a host connect failed (from errno): decides between RST and ICMP for the client. */
export type ConnectFailure = 'refused' | 'host-unreachable' | 'net-unreachable' | 'timeout' | 'error';

export type { DnsRecord };
