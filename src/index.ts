/**
 * dialtone as a library: the deliberate public API. Everything else under src/ is
 * internal and may change.
 *
 * - Run a link on a Node stream: PppLink (or drive() for a Session you built).
 * - Drive the sans-IO core yourself: Session (bytes and time in; bytes, events and a
 *   deadline out) over a LinkLayer (async HDLC by default, FrameLink for frame carriers).
 * - The servers: IspServer (the access server), ModemBank, the chat engine and getty dialog.
 */

// ---- running a link on a stream ----------------------------------------------------------
export { PppLink, type LinkOptions, type IpUp } from './runtime/link.js';
export { drive, type NetworkBackend, type Driven } from './runtime/driver.js';
export { openLine, parseLineSpec, type Line, type LineSpec } from './lines/line.js';

// ---- the sans-IO PPP core ----------------------------------------------------------------
export { Session, defaultSessionOptions, type SessionOptions, type SessionEvent, type Phase, type Counters } from './ppp/session.js';
export { Timers, type Clock } from './ppp/timers.js';
export { EXIT } from './ppp/exit-codes.js';
export { describePacket, PROTOCOLS, AUTH_METHODS } from './ppp/registry.js';
export type { Protent, ProtocolModule, SessionContext } from './ppp/protent.js';
export type { AuthMethod, AuthRole } from './ppp/auth/methods.js';
export { staticSecrets, secretsEqual, type Secrets, type SecretMatch } from './ppp/secrets.js';
export * from './ppp/protocols.js';

// ---- lower layers and the bytes on the wire ------------------------------------------------
export type { LinkLayer, LinkConfig } from './ppp/link/link.js';
export { AsyncHdlcLink } from './ppp/link/async-hdlc.js';
export { FrameLink } from './ppp/link/frame-link.js';
export { HdlcEncoder, HdlcDecoder, type Frame, type TxConfig } from './wire/hdlc.js';
export { fcs16, fcs32 } from './wire/fcs.js';
export { pcapHeader, pcapPppRecord, PCAP_LINKTYPE } from './wire/pcap.js';
export { ip4ToString, parseIp4 } from './wire/ipv4.js';

// ---- authentication primitives (RFC 1994, 2433, 2759, 3079, 3748) ---------------------------
export { chapMd5 } from './ppp/auth/chap-md5.js';
export { msChapDigest, msChapV2Digest } from './ppp/auth/chap-ms.js';
export type { ChapDigest, MppeKeys } from './ppp/auth/chap-digest.js';

// ---- pppd's files --------------------------------------------------------------------------
export { parseSecrets, findSecret } from './config/secrets.js';
export { fileSecrets, secretsFromText } from './config/secrets-provider.js';
export { tokenizeOptions } from './config/words.js';
export { VERSION } from './version.js';

// ---- before PPP: chat, the modem, the getty; the access server ----------------------------
export { ChatEngine, type ChatAction, type ChatEngineOptions } from './chat/engine.js';
export { parseChatFile } from './chat/script.js';
export { runChat } from './runtime/chat-run.js';
export { HayesModem } from './modem/hayes.js';
export { ModemBank, type CallHandler } from './runtime/modem-bank.js';
export { LoginDialog } from './getty/dialog.js';
export { AutoPppDetector } from './getty/autoppp.js';
export { NetStack } from './net/stack.js';
export { NatBackend } from './runtime/nat-backend.js';
export { IspServer } from './isp/server.js';
export { parseIspConfig, defaultIspConfig } from './isp/config.js';
