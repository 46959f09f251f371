/**
 * CHAP (RFC 1994), both roles, with pppd's timers and messages (chap-new.c). The digest
 * (MD5, MS-CHAP, MS-CHAPv2) is pluggable, as pppd's chap_digest_type.
 */
import { NO_BYTES, emitControl, parseControl } from '../packet.js';
import { lengthPrefixed, type AuthHost } from './host.js';
import { printableText } from '../log.js';
import type { Timer } from '../timers.js';

const Challenge = 1;
const Response = 2;
const Success = 3;
const Failure = 4;

import type { ChapDigest, MppeKeys } from './chap-digest.js';
import { chapMd5Digest } from './chap-md5.js';
import { PROTO_CHAP } from '../protocols.js';
import { chapOption, type AuthMethod } from './methods.js';
import type { SessionOptions } from '../session-options.js';
import type { ExternalVerifier } from './external.js';

/** Splits a Challenge or Response Data field: Value-Size, Value, Name. */
function valueAndName(data: Buffer): { value: Buffer; name: Buffer } | undefined {
  const size = data[0];
  if (size === undefined || data.length < 1 + size) return undefined;
  return { value: data.subarray(1, 1 + size), name: data.subarray(1 + size) };
}

export interface ChapServerConfig {
  /** The digest we ask for (default MD5). */
  digest?: ChapDigest;
  /** pppd `chapms-strip-domain`: look the peer's secret up without a `DOMAIN\\` prefix. */
  stripDomain?: boolean;
  /** Our name, sent in the Challenge (pppd: `name`, default the host name). */
  name: string;
  /** chap-restart, seconds */
  restart: number;
  /** chap-max-challenge */
  maxChallenge: number;
  /** chap-interval, seconds (0 = never re-challenge) */
  interval: number;
  /** pppd `remotename`: when set, the peer's secret is looked up under this name. */
  remoteName?: string;
  /** The secret the named peer should know, or undefined when there is none. */
  secretFor(peer: string): Buffer | undefined;
  /** An asynchronous judge instead of the secrets (RADIUS): the verdict comes later. */
  verify?: ExternalVerifier;
}

/** Authenticates the peer (and re-authenticates every chap-interval). */
export class ChapServer {
  private id = 0;
  private challenge: Buffer = NO_BYTES;
  private packet: Buffer = NO_BYTES;
  private xmits = 0;
  private challengeValid = false;
  private authDone = false;
  private failed = false;
  private running = false;
  private readonly timer: Timer;
  private readonly digest: ChapDigest;
  private message: Buffer = NO_BYTES;
  /** Waiting for the external verdict on the Response with this Identifier. */
  private verifying = false;
  /** MPPE keys once the peer has authenticated with an MS-CHAP digest. */
  keys: MppeKeys | undefined;

  constructor(private readonly cfg: ChapServerConfig, private readonly host: AuthHost) {
    this.timer = host.timers.create(() => this.timeout());
    this.digest = cfg.digest ?? chapMd5Digest;
  }

  start(): void {
    this.running = true;
    this.verifying = false;
    this.authDone = false;
    this.failed = false;
    this.challengeValid = false;
    this.timeout();
  }

  stop(): void {
    this.running = false;
    this.verifying = false;
    this.timer.stop();
  }

  input(raw: Buffer): void {
    const pkt = parseControl(raw);
    if (!pkt || !this.running || pkt.code !== Response) return;
    if (pkt.id !== this.id) return; // a response to an older challenge
    if (this.verifying) return; // a retransmission while the AAA server decides
    if (!this.challengeValid) {
      // A retransmitted Response after our verdict: repeat the verdict (pppd).
      if (this.authDone) this.sendStatus(pkt.id);
      return;
    }
    const parts = valueAndName(pkt.data);
    if (!parts) return;
    this.timer.stop();
    const received = parts.name.toString('latin1');
    let peer = this.cfg.remoteName ?? received;
    // pppd chap_handle_response: chapms-strip-domain drops "DOMAIN\" before the lookup.
    if (this.cfg.stripDomain && this.cfg.remoteName === undefined) peer = peer.slice(peer.lastIndexOf('\\') + 1);
    if (this.cfg.verify) {
      this.verifying = true;
      const challenge = this.challenge;
      this.cfg.verify({ method: 'chap', digest: this.digest.code, id: pkt.id, user: peer, challenge, response: Buffer.from(parts.value) }, (v) => {
        if (!this.verifying || !this.running || this.challenge !== challenge) return;
        this.verifying = false;
        // Without the judge's wording, the digest's own (MS-CHAP's E=691 ...).
        const message = v.message ?? (v.ok ? Buffer.from('Access granted') : this.digest.verifyResponse({ id: pkt.id, name: received, secret: Buffer.alloc(0), challenge, response: Buffer.alloc(0) }).message);
        if (v.ok) this.keys = v.keys;
        this.finish(pkt.id, peer, v.ok, message);
      });
      return;
    }
    const secret = this.cfg.secretFor(peer);
    let ok = false;
    if (!secret) {
      this.host.log('error', `No CHAP secret found for authenticating ${printableText(Buffer.from(peer, 'latin1'))}`);
      // The digest still words the Failure (MS-CHAP's E=691 ...); its verdict is ignored.
      this.message = this.digest.verifyResponse({ id: pkt.id, name: received, secret: Buffer.alloc(0), challenge: this.challenge, response: Buffer.alloc(0) }).message;
    } else {
      const v = this.digest.verifyResponse({ id: pkt.id, name: received, secret, challenge: this.challenge, response: parts.value });
      secret.fill(0);
      ok = v.ok;
      this.message = v.message;
      if (ok) this.keys = v.keys;
    }
    this.finish(pkt.id, peer, ok, this.message);
  }

  private finish(id: number, peer: string, ok: boolean, message: Buffer): void {
    this.message = message;
    if (!ok) {
      this.failed = true;
      this.host.log('warn', `Peer ${printableText(Buffer.from(peer, 'latin1'))} failed CHAP authentication`);
    }
    this.sendStatus(id);
    this.challengeValid = false;
    // A repeated Response needs only the Identifier and the verdict (pppd resends the status,
    // RFC 1994 §4.1); the next challenge is made afresh. Not kept for an idle link's life.
    this.challenge = NO_BYTES;
    this.packet = NO_BYTES;
    const first = !this.authDone;
    this.authDone = true;
    if (this.failed) {
      this.running = false;
      this.host.done(false, peer);
      return;
    }
    if (first) {
      this.host.log('info', `CHAP peer authentication succeeded for ${printableText(Buffer.from(peer, 'latin1'))}`);
      this.host.done(true, peer);
    }
    if (this.cfg.interval > 0) this.timer.start(this.cfg.interval * 1000);
  }

  private sendStatus(id: number): void {
    this.host.send(emitControl(this.failed ? Failure : Success, id, this.message));
  }

  /** pppd chap_server_timeout: a new challenge, a retransmission, or giving up. */
  private timeout(): void {
    if (!this.running) return;
    if (!this.challengeValid) {
      this.xmits = 0;
      this.challenge = this.digest.generateChallenge((n) => this.host.randomBytes(n));
      this.id = (this.id + 1) & 0xff;
      this.packet = emitControl(Challenge, this.id, Buffer.concat([lengthPrefixed(this.challenge), Buffer.from(this.cfg.name)]));
      this.challengeValid = true;
    } else if (this.xmits >= this.cfg.maxChallenge) {
      this.challengeValid = false;
      this.running = false;
      this.failed = true;
      this.host.done(false);
      return;
    }
    this.host.send(this.packet);
    this.xmits++;
    this.timer.start(this.cfg.restart * 1000);
  }
}

export interface ChapClientConfig {
  /** The digest the peer asked for in LCP (default MD5). */
  digest?: ChapDigest;
  /** The name we authenticate as (pppd `user`, else `name`). */
  name: string;
  /** pppd `remotename`: when set, it chooses our secret instead of the Challenge's name. */
  remoteName?: string;
  /** chap-timeout, seconds: give up if the peer does not finish in time. */
  timeout: number;
  /** Our secret for authenticating to the named server, or undefined. */
  secretFor(server: string): Buffer | undefined;
}

/** Authenticates us to the peer. */
export class ChapClient {
  private started = false;
  private done = false;
  private readonly timer: Timer;
  private readonly digest: ChapDigest;
  private pending: { id: number; state: unknown; keys?: MppeKeys } | undefined;
  /** MPPE keys once we have authenticated with an MS-CHAP digest. */
  keys: MppeKeys | undefined;

  constructor(private readonly cfg: ChapClientConfig, private readonly host: AuthHost) {
    this.digest = cfg.digest ?? chapMd5Digest;
    this.timer = host.timers.create(() => {
      this.done = true;
      this.host.log('error', 'CHAP authentication timed out');
      this.host.done(false);
    });
  }

  start(): void {
    this.started = true;
    this.done = false;
    if (this.cfg.timeout > 0) this.timer.start(this.cfg.timeout * 1000);
  }

  stop(): void {
    this.started = false;
    this.timer.stop();
  }

  input(raw: Buffer): void {
    const pkt = parseControl(raw);
    if (!pkt || !this.started) return;
    if (pkt.code === Challenge) return this.respond(pkt.id, pkt.data);
    if ((pkt.code === Success || pkt.code === Failure) && !this.done) {
      this.done = true;
      this.timer.stop();
      const text = printableText(pkt.data);
      // pppd chap_handle_status: a digest with check_success (MS-CHAPv2's S=) decides, and a
      // Success it does not accept is a failure; a digest with handle_failure explains E=.
      let ok = pkt.code === Success;
      if (ok && this.digest.checkSuccess) {
        ok = this.digest.checkSuccess({ id: pkt.id, message: pkt.data, state: this.pending?.state, log: (line) => this.host.log('error', line) });
      } else if (ok) {
        this.host.log('info', text ? `CHAP authentication succeeded: ${text}` : 'CHAP authentication succeeded');
      } else if (this.digest.describeFailure) {
        for (const line of this.digest.describeFailure(pkt.data)) this.host.log('error', line);
      } else {
        this.host.log('info', text ? `CHAP authentication failed: ${text}` : 'CHAP authentication failed');
      }
      if (ok) {
        this.keys = this.pending?.keys;
        this.host.done(true);
      } else {
        this.host.log('error', 'CHAP authentication failed');
        this.host.done(false);
      }
    }
  }

  private respond(id: number, data: Buffer): void {
    const parts = valueAndName(data);
    if (!parts) return;
    // pppd chap_respond: an explicit remotename wins; Microsoft servers send no name.
    const server = this.cfg.remoteName ?? printableText(parts.name);
    let secret = this.cfg.secretFor(server);
    if (!secret) {
      this.host.log('warn', `No CHAP secret found for authenticating us to ${server}`);
      secret = Buffer.alloc(0);
    }
    const r = this.digest.makeResponse({ id, ourName: this.cfg.name, challenge: parts.value, secret, random: (n) => this.host.randomBytes(n) });
    secret.fill(0);
    this.pending = { id, state: r.state, keys: r.keys };
    this.host.send(emitControl(Response, id, Buffer.concat([lengthPrefixed(r.value), Buffer.from(this.cfg.name)])));
  }
}

/** CHAP's options (pppd chap-new.c, chap_ms.c). */
export interface ChapOptions {
  chapRestart: number;
  chapMaxChallenge: number;
  chapInterval: number;
  chapTimeout: number;
  /** pppd chapms-strip-domain. */
  chapmsStripDomain: boolean;
}

export const CHAP_DEFAULTS: ChapOptions = { chapRestart: 3, chapMaxChallenge: 10, chapInterval: 0, chapTimeout: 60, chapmsStripDomain: false };

/** A registry entry for CHAP with one digest: both roles on the same state machine. */
export function chapMethod(
  id: string,
  digest: ChapDigest,
  required: (o: SessionOptions) => boolean,
  refused: (o: SessionOptions) => boolean,
): AuthMethod {
  return {
    id,
    protocol: PROTO_CHAP,
    chapDigest: digest.code,
    option: chapOption(digest.code),
    logName: 'CHAP',
    secrets: 'chap',
    required,
    refused,
    server: (s) => {
      const o = s.options;
      return new ChapServer(
        {
          digest,
          name: o.name,
          restart: o.chapRestart,
          maxChallenge: o.chapMaxChallenge,
          interval: o.chapInterval,
          remoteName: o.remoteName,
          stripDomain: o.chapmsStripDomain && digest.code !== chapMd5Digest.code,
          secretFor: (peer) => s.peerSecret(peer),
          verify: o.verifyCredentials,
        },
        s.host,
      );
    },
    client: (s) =>
      new ChapClient(
        {
          digest,
          name: s.userName,
          remoteName: s.options.remoteName,
          timeout: s.options.chapTimeout,
          secretFor: (server) => {
            const secret = s.selfSecret('chap', server);
            return secret === undefined ? undefined : Buffer.from(secret, 'latin1');
          },
        },
        s.host,
      ),
  };
}
