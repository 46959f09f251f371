/**
 * The minimal RADIUS accounting sender (the IO shell): Accounting-Requests over UDP to the
 * `radius-acct` servers in order, each tried `tries` times `timeoutMs` apart (RFC 2866 §2:
 * the NAS retransmits until it gets an Accounting-Response), then the next server; a server
 * that did not answer is skipped for `deadMs` (dead-server detection) unless all are dead.
 * A response is taken only when its Response Authenticator verifies (RFC 2866 §3); anything
 * else is counted and dropped. Can be folded into the RADIUS client when it has failover.
 */
import dgram from 'node:dgram';
import { RadiusCode, decodePacket, encodePacket } from './packet.js';
import { signAccountingRequest, verifyResponse } from './crypto.js';
import { acctAttributes, type NasIdentity } from './acct-packet.js';
import type { AcctRecord, AcctTransport } from './accounting.js';

export interface AcctServer {
  host: string;
  port: number;
  secret: string;
}

export interface AcctSenderOptions extends NasIdentity {
  servers: AcctServer[];
  timeoutMs?: number;
  tries?: number;
  deadMs?: number;
  log?(m: string): void;
}

interface Pending {
  auth: Buffer;
  server: AcctServer;
  resolve(ok: boolean): void;
}

export class AcctSender {
  private sock?: dgram.Socket;
  private nextId = 0;
  private readonly pending = new Map<number, Pending>();
  private readonly deadUntil = new Map<AcctServer, number>();
  readonly counters = { requests: 0, retransmissions: 0, responses: 0, badResponses: 0, timeouts: 0, failovers: 0 };

  constructor(private readonly o: AcctSenderOptions) {}

  /** The transport Accounting uses. */
  readonly transport: AcctTransport = (r, delay) => this.send(r, delay);

  async send(r: AcctRecord, delaySeconds: number): Promise<boolean> {
    const now = Date.now();
    const alive = this.o.servers.filter((s) => (this.deadUntil.get(s) ?? 0) <= now);
    const order = alive.length ? alive : this.o.servers;
    for (const [i, server] of order.entries()) {
      if (i > 0) this.counters.failovers++;
      if (await this.tryServer(server, r, delaySeconds)) {
        this.deadUntil.delete(server);
        return true;
      }
      this.deadUntil.set(server, Date.now() + (this.o.deadMs ?? 30_000));
      this.o.log?.(`radius-acct: ${server.host}:${server.port} does not answer`);
    }
    return false;
  }

  private socket(): dgram.Socket {
    if (this.sock) return this.sock;
    const s = dgram.createSocket('udp4');
    s.on('message', (m, rinfo) => this.onMessage(m, rinfo));
    s.on('error', (e) => this.o.log?.(`radius-acct: ${e.message}`));
    s.unref();
    this.sock = s;
    return s;
  }

  /** A free identifier (RFC 2865 §3: unique among outstanding requests); undefined if 256 are out. */
  private id(): number | undefined {
    for (let k = 0; k < 256; k++) {
      const id = (this.nextId + k) & 0xff;
      if (!this.pending.has(id)) {
        this.nextId = id + 1;
        return id;
      }
    }
    return undefined;
  }

  private async tryServer(server: AcctServer, r: AcctRecord, delay: number): Promise<boolean> {
    const id = this.id();
    if (id === undefined) return false;
    const secret = Buffer.from(server.secret);
    const pkt = signAccountingRequest(encodePacket({ code: RadiusCode.AccountingRequest, identifier: id, authenticator: Buffer.alloc(16), attributes: acctAttributes(r, delay, this.o) }), secret);
    const tries = this.o.tries ?? 3;
    const timeout = this.o.timeoutMs ?? 3000;
    return new Promise<boolean>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      let n = 0;
      const finish = (ok: boolean) => {
        clearTimeout(timer);
        this.pending.delete(id);
        resolve(ok);
      };
      this.pending.set(id, { auth: pkt.subarray(4, 20), server, resolve: finish });
      const shot = () => {
        if (n++ >= tries) {
          this.counters.timeouts++;
          finish(false);
          return;
        }
        if (n > 1) this.counters.retransmissions++;
        else this.counters.requests++;
        // The same bytes each time (same Identifier and Acct-Delay-Time): RFC 2866 §5.2 asks
        // for a new Identifier only when Acct-Delay-Time changes.
        this.socket().send(pkt, server.port, server.host);
        timer = setTimeout(shot, timeout);
      };
      shot();
    });
  }

  private onMessage(m: Buffer, rinfo: dgram.RemoteInfo): void {
    const d = decodePacket(m);
    const p = d.ok ? this.pending.get(d.packet.identifier) : undefined;
    if (!d.ok || !p || d.packet.code !== RadiusCode.AccountingResponse || rinfo.port !== p.server.port || !verifyResponse(m, p.auth, Buffer.from(p.server.secret)).ok) {
      this.counters.badResponses++;
      return;
    }
    this.counters.responses++;
    p.resolve(true);
  }

  close(): void {
    for (const p of this.pending.values()) p.resolve(false);
    this.sock?.close();
    this.sock = undefined;
  }
}
