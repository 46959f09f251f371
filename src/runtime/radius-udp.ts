// The RADIUS client's IO shell (the core is ../radius/client.ts), for authentication and
// accounting alike: one connected UDP socket per server (so ICMP port-unreachable reaches us
// as an error and fails over at once), one timer for the core's next deadline.
import dgram from 'node:dgram';
import crypto from 'node:crypto';
import net from 'node:net';
import { RadiusClientCore, CLIENT_DEFAULTS, type RadiusClientOptions, type RadiusRequest, type RadiusResult } from '../radius/client.js';

export class RadiusUdpClient {
  readonly core: RadiusClientCore;
  private readonly sockets: dgram.Socket[] = [];
  /** Datagrams for a socket whose connect() has not completed (bounded by the core's in-flight limit). */
  private readonly waiting: Array<Buffer[] | undefined> = [];
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(opts: Partial<RadiusClientOptions> & Pick<RadiusClientOptions, 'servers'>) {
    this.core = new RadiusClientCore({ ...CLIENT_DEFAULTS, randomBytes: (n) => crypto.randomBytes(n), ...opts });
    opts.servers.forEach((srv, i) => {
      const s = dgram.createSocket(net.isIPv6(srv.host) ? 'udp6' : 'udp4');
      s.on('message', (m) => {
        this.core.input(Date.now(), i, m);
        this.flush();
      });
      s.on('error', () => {
        // ECONNREFUSED: the server's port is closed (it is down).
        if (this.closed) return;
        this.core.unreachable(Date.now(), i);
        this.flush();
      });
      this.waiting[i] = [];
      s.connect(srv.port, srv.host, () => {
        const w = this.waiting[i]!;
        this.waiting[i] = undefined; // connected: send directly from now on
        for (const d of w) s.send(d);
      });
      s.unref();
      this.sockets.push(s);
    });
  }

  request(req: RadiusRequest): Promise<RadiusResult> {
    return new Promise((resolve) => {
      this.core.request(Date.now(), req, resolve);
      this.flush();
    });
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.core.stop();
    for (const s of this.sockets) s.close();
  }

  private flush(): void {
    for (const d of this.core.takeOutput()) {
      const w = this.waiting[d.server];
      if (w) {
        w.push(d.data);
        continue;
      }
      try {
        this.sockets[d.server]!.send(d.data);
      } catch {
        // A closed socket is a stopped client.
      }
    }
    clearTimeout(this.timer);
    const next = this.core.nextDeadline();
    if (next === undefined || this.closed) return;
    this.timer = setTimeout(() => {
      this.core.poll(Date.now());
      this.flush();
    }, Math.max(0, next - Date.now()));
  }
}
