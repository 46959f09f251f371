/**
 * dialtone as a library. The PPP core is sans-IO (Session, Fsm, Lcp, Ipcp, framing): feed
 * it bytes and time, take bytes and events out. PppLink runs it on any Node duplex stream.
 */
export { PppLink, type LinkOptions, type IpUp } from './io/link.js';
export { drive, type NetworkBackend, type Driven } from './io/driver.js';
export { openLine, parseLineSpec, type Line, type LineSpec } from './io/line.js';

export { Session, defaultSessionOptions, type SessionOptions, type SessionEvent, type Phase, type Counters } from './ppp/session.js';
export { Fsm, State, transition, type FsmHandler, type FsmEvent, type FsmAction } from './ppp/fsm.js';
export { Lcp } from './ppp/lcp.js';
export { Ipcp } from './ppp/ipcp.js';
export { PapClient, PapServer } from './ppp/auth/pap.js';
export { ChapClient, ChapServer } from './ppp/auth/chap.js';
export { chapMd5 } from './ppp/auth/chap-md5.js';
export { Timers, type Clock } from './ppp/timers.js';
export { EXIT } from './ppp/exit-codes.js';
export { describePacket } from './ppp/registry.js';
export { staticSecrets, secretsEqual, type Secrets, type SecretMatch } from './ppp/secrets.js';
export * from './ppp/protocols.js';

export { HdlcEncoder, HdlcDecoder, eightBitCleanDiagnosis, type Frame, type TxConfig, type DecoderStats } from './wire/hdlc.js';
export { fcs16, fcs32, fcs16Good, fcs32Good } from './wire/fcs.js';
export { pcapHeader, pcapRecord, pcapPppRecord, PCAP_LINKTYPE } from './wire/pcap.js';
export { ip4ToString, parseIp4, internetChecksum, icmpEchoRequest, icmpEchoReply } from './wire/ipv4.js';

export { parseSecrets, findSecret } from './config/secrets.js';
export { fileSecrets, secretsFromText } from './config/secrets-provider.js';
export { tokenizeOptions } from './config/words.js';
export { VERSION } from './version.js';

export { ChatEngine, type ChatAction, type ChatEngineOptions } from './chat/engine.js';
export { parseChatFile } from './chat/script.js';
export { runChat } from './io/chat-run.js';
export { HayesModem } from './modem/hayes.js';
export { ModemBank, type CallHandler } from './io/modem-bank.js';
export { LoginDialog } from './getty/dialog.js';
export { AutoPppDetector } from './getty/autoppp.js';
export { NetStack } from './net/stack.js';
export { NatBackend } from './io/nat-backend.js';
export { IspServer } from './isp/server.js';
export { parseIspConfig, defaultIspConfig } from './isp/config.js';
