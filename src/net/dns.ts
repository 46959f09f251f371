/**
 * Just enough of the DNS message format (RFC 1035 §4) for the virtual DNS server: parse a
 * standard query with one question, and build the answer from records the host resolver
 * found. Answers use a compression pointer to the question name (RFC 1035 §4.1.4).
 */

export const QTYPE = { A: 1, NS: 2, CNAME: 5, SOA: 6, PTR: 12, MX: 15, TXT: 16, AAAA: 28, SRV: 33, OPT: 41, ANY: 255 } as const;

export const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;

export interface DnsQuery {
  id: number;
  /** The RD flag, copied into the answer (RFC 1035 §4.1.1). */
  recursionDesired: boolean;
  /** Lower-cased, without the trailing dot. */
  name: string;
  qtype: number;
  qclass: number;
  /** The question section as received (the answer repeats it octet for octet). */
  question: Buffer;
  /** The requester's UDP payload size from an EDNS(0) OPT record (RFC 6891 §6.2.3), if any. */
  ednsSize?: number;
}

export type DnsParse =
  | { ok: true; query: DnsQuery }
  /** Answerable with an error code (we know the id and can echo the header). */
  | { ok: false; id: number; rcode: number; recursionDesired: boolean; question?: Buffer }
  /** Not worth an answer (a response, or too short to have an id). */
  | undefined;

const HEADER = 12;

export function parseDnsQuery(msg: Buffer): DnsParse {
  if (msg.length < HEADER) return undefined;
  const id = msg.readUInt16BE(0);
  const flags = msg.readUInt16BE(2);
  if (flags & 0x8000) return undefined; // QR: a response, never answer one
  const recursionDesired = (flags & 0x0100) !== 0;
  const opcode = (flags >> 11) & 0x0f;
  if (opcode !== 0) return { ok: false, id, rcode: RCODE.NOTIMP, recursionDesired };
  const qd = msg.readUInt16BE(4);
  const an = msg.readUInt16BE(6);
  const ns = msg.readUInt16BE(8);
  const ar = msg.readUInt16BE(10);
  if (qd !== 1) return { ok: false, id, rcode: qd === 0 ? RCODE.FORMERR : RCODE.NOTIMP, recursionDesired };
  const labels: string[] = [];
  let i = HEADER;
  let nameLen = 0;
  for (;;) {
    if (i >= msg.length) return { ok: false, id, rcode: RCODE.FORMERR, recursionDesired };
    const len = msg[i]!;
    if (len === 0) { i++; break; }
    // No compression pointers in a question of a query we accept; labels are <= 63 and the
    // name <= 255 octets (RFC 1035 §2.3.4).
    if (len > 63 || i + 1 + len > msg.length) return { ok: false, id, rcode: RCODE.FORMERR, recursionDesired };
    nameLen += len + 1;
    if (nameLen > 254) return { ok: false, id, rcode: RCODE.FORMERR, recursionDesired };
    const label = msg.subarray(i + 1, i + 1 + len);
    // A host name for the resolver: printable ASCII without '.' inside a label.
    for (const c of label) if (c <= 0x20 || c >= 0x7f || c === 0x2e) return { ok: false, id, rcode: RCODE.FORMERR, recursionDesired };
    labels.push(label.toString('latin1').toLowerCase());
    i += 1 + len;
  }
  if (i + 4 > msg.length) return { ok: false, id, rcode: RCODE.FORMERR, recursionDesired };
  const qtype = msg.readUInt16BE(i);
  const qclass = msg.readUInt16BE(i + 2);
  i += 4;
  const question = Buffer.from(msg.subarray(HEADER, i));
  const query: DnsQuery = { id, recursionDesired, name: labels.join('.'), qtype, qclass, question };
  // Look for an OPT pseudo-record among the additional records (answer/authority
  // sections are empty in queries; if not, skip them as well).
  for (let r = 0; r < an + ns + ar; r++) {
    const at = skipName(msg, i);
    if (at === undefined || at + 10 > msg.length) break;
    const type = msg.readUInt16BE(at);
    const cls = msg.readUInt16BE(at + 2);
    const rdlen = msg.readUInt16BE(at + 8);
    if (at + 10 + rdlen > msg.length) break;
    if (type === QTYPE.OPT && r >= an + ns) query.ednsSize = Math.max(512, cls);
    i = at + 10 + rdlen;
  }
  return { ok: true, query };
}

function skipName(msg: Buffer, i: number): number | undefined {
  for (let n = 0; n < 128; n++) {
    if (i >= msg.length) return undefined;
    const len = msg[i]!;
    if (len === 0) return i + 1;
    if ((len & 0xc0) === 0xc0) return i + 2 <= msg.length ? i + 2 : undefined;
    if (len > 63) return undefined;
    i += 1 + len;
  }
  return undefined;
}

export type DnsRecord =
  | { type: 'A'; address: string; ttl?: number }
  | { type: 'AAAA'; address: string; ttl?: number }
  | { type: 'CNAME' | 'PTR' | 'NS'; name: string; ttl?: number }
  | { type: 'MX'; priority: number; exchange: string; ttl?: number }
  | { type: 'TXT'; entries: string[]; ttl?: number }
  | { type: 'SRV'; priority: number; weight: number; port: number; name: string; ttl?: number };

export interface DnsResult {
  rcode: number;
  records: DnsRecord[];
}

export interface AnswerOptions {
  defaultTtl: number;
  /** The largest answer that fits: 512 without EDNS (RFC 1035 §4.2.1). */
  maxSize: number;
  /** Whether the query had an OPT record (then the answer carries one, RFC 6891 §7). */
  edns: boolean;
  /** Our advertised EDNS UDP payload size. */
  ednsSize: number;
}

/** An answer to `q`; records that do not encode (a bad address, a long name) are skipped. */
export function buildDnsAnswer(q: Pick<DnsQuery, 'id' | 'recursionDesired' | 'question'>, res: DnsResult, o: AnswerOptions): Buffer {
  const rrs: Buffer[] = [];
  for (const r of res.records) {
    const rr = encodeRecord(r, o.defaultTtl);
    if (rr) rrs.push(rr);
  }
  const opt = o.edns ? optRecord(o.ednsSize) : undefined;
  const fixed = HEADER + q.question.length + (opt?.length ?? 0);
  let answers = rrs;
  let tc = false;
  let size = fixed + rrs.reduce((n, b) => n + b.length, 0);
  if (size > o.maxSize) {
    // RFC 2181 §9: an answer that does not fit is truncated and says so (TC); we keep
    // the records that fit so that a resolver without TCP fallback still gets something.
    tc = true;
    answers = [];
    size = fixed;
    for (const rr of rrs) {
      if (size + rr.length > o.maxSize) break;
      answers.push(rr);
      size += rr.length;
    }
  }
  const head = Buffer.alloc(HEADER);
  head.writeUInt16BE(q.id, 0);
  // QR=1, opcode 0, AA=0, TC, RD copied, RA=1, rcode.
  head.writeUInt16BE(0x8000 | (tc ? 0x0200 : 0) | (q.recursionDesired ? 0x0100 : 0) | 0x0080 | (res.rcode & 0x0f), 2);
  head.writeUInt16BE(q.question.length ? 1 : 0, 4);
  head.writeUInt16BE(answers.length, 6);
  head.writeUInt16BE(0, 8);
  head.writeUInt16BE(opt ? 1 : 0, 10);
  return Buffer.concat([head, q.question, ...answers, ...(opt ? [opt] : [])]);
}

/** An error answer for a query we could not parse fully. */
export function buildDnsError(id: number, rcode: number, recursionDesired: boolean, question?: Buffer): Buffer {
  return buildDnsAnswer({ id, recursionDesired, question: question ?? Buffer.alloc(0) }, { rcode, records: [] },
    { defaultTtl: 0, maxSize: 512, edns: false, ednsSize: 512 });
}

function optRecord(size: number): Buffer {
  const b = Buffer.alloc(11);
  b[0] = 0; // root name
  b.writeUInt16BE(QTYPE.OPT, 1);
  b.writeUInt16BE(size, 3);
  // TTL (extended rcode, version 0, flags) and RDLEN all zero.
  return b;
}

function encodeRecord(r: DnsRecord, defaultTtl: number): Buffer | undefined {
  let type: number;
  let rdata: Buffer | undefined;
  switch (r.type) {
    case 'A': {
      type = QTYPE.A;
      const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(r.address);
      if (!m) return undefined;
      const parts = m.slice(1).map(Number);
      if (parts.some((p) => p > 255)) return undefined;
      rdata = Buffer.from(parts);
      break;
    }
    case 'AAAA':
      type = QTYPE.AAAA;
      rdata = parseIpv6(r.address);
      break;
    case 'CNAME': type = QTYPE.CNAME; rdata = encodeName(r.name); break;
    case 'PTR': type = QTYPE.PTR; rdata = encodeName(r.name); break;
    case 'NS': type = QTYPE.NS; rdata = encodeName(r.name); break;
    case 'MX': {
      type = QTYPE.MX;
      const n = encodeName(r.exchange);
      if (n) {
        rdata = Buffer.alloc(2 + n.length);
        rdata.writeUInt16BE(r.priority & 0xffff, 0);
        n.copy(rdata, 2);
      }
      break;
    }
    case 'TXT': {
      type = QTYPE.TXT;
      const parts: Buffer[] = [];
      for (const e of r.entries) {
        const s = Buffer.from(e, 'utf8');
        // RFC 1035 §3.3.14: character-strings of at most 255 octets each.
        for (let i = 0; i < s.length || i === 0; i += 255) {
          const chunk = s.subarray(i, i + 255);
          parts.push(Buffer.from([chunk.length]), chunk);
          if (s.length === 0) break;
        }
      }
      rdata = Buffer.concat(parts);
      break;
    }
    case 'SRV': {
      type = QTYPE.SRV;
      const n = encodeName(r.name);
      if (n) {
        rdata = Buffer.alloc(6 + n.length);
        rdata.writeUInt16BE(r.priority & 0xffff, 0);
        rdata.writeUInt16BE(r.weight & 0xffff, 2);
        rdata.writeUInt16BE(r.port & 0xffff, 4);
        n.copy(rdata, 6);
      }
      break;
    }
    default:
      return undefined;
  }
  if (!rdata || rdata.length > 0xffff) return undefined;
  const rr = Buffer.alloc(12 + rdata.length);
  rr.writeUInt16BE(0xc00c, 0); // the question's name
  rr.writeUInt16BE(type, 2);
  rr.writeUInt16BE(1, 4); // IN
  const ttl = r.ttl ?? defaultTtl;
  rr.writeUInt32BE(Math.max(0, Math.min(0x7fffffff, Math.floor(ttl))), 6);
  rr.writeUInt16BE(rdata.length, 10);
  rdata.copy(rr, 12);
  return rr;
}

export function encodeName(name: string): Buffer | undefined {
  const trimmed = name.endsWith('.') ? name.slice(0, -1) : name;
  if (trimmed === '') return Buffer.from([0]);
  const parts: Buffer[] = [];
  let total = 1;
  for (const label of trimmed.split('.')) {
    const b = Buffer.from(label, 'utf8');
    if (b.length === 0 || b.length > 63) return undefined;
    total += b.length + 1;
    parts.push(Buffer.from([b.length]), b);
  }
  if (total > 255) return undefined;
  parts.push(Buffer.from([0]));
  return Buffer.concat(parts);
}

/** Text IPv6 (RFC 4291 §2.2, including "::" and a trailing dotted quad) to 16 octets. */
export function parseIpv6(s: string): Buffer | undefined {
  const pct = s.indexOf('%');
  if (pct >= 0) s = s.slice(0, pct);
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const words = (part: string): number[] | undefined => {
    if (part === '') return [];
    const out: number[] = [];
    const groups = part.split(':');
    for (let i = 0; i < groups.length; i++) {
      const g = groups[i]!;
      if (i === groups.length - 1 && g.includes('.')) {
        const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(g);
        if (!m) return undefined;
        const p = m.slice(1).map(Number);
        if (p.some((x) => x > 255)) return undefined;
        out.push((p[0]! << 8) | p[1]!, (p[2]! << 8) | p[3]!);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
        out.push(parseInt(g, 16));
      }
    }
    return out;
  };
  const head = words(halves[0]!);
  const tail = halves.length === 2 ? words(halves[1]!) : [];
  if (!head || !tail) return undefined;
  let all: number[];
  if (halves.length === 2) {
    if (head.length + tail.length > 7) return undefined;
    all = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  } else {
    if (head.length !== 8) return undefined;
    all = head;
  }
  const b = Buffer.alloc(16);
  all.forEach((w, i) => b.writeUInt16BE(w, i * 2));
  return b;
}

/** Builds a standard query (for tests and for a client-role resolver). */
export function buildDnsQuery(id: number, name: string, qtype: number, opts: { ednsSize?: number } = {}): Buffer {
  const qname = encodeName(name);
  if (!qname) throw new RangeError(`bad name ${name}`);
  const head = Buffer.alloc(HEADER);
  head.writeUInt16BE(id, 0);
  head.writeUInt16BE(0x0100, 2); // RD
  head.writeUInt16BE(1, 4);
  head.writeUInt16BE(opts.ednsSize ? 1 : 0, 10);
  const tail = Buffer.alloc(4);
  tail.writeUInt16BE(qtype, 0);
  tail.writeUInt16BE(1, 2);
  return Buffer.concat([head, qname, tail, ...(opts.ednsSize ? [optRecord(opts.ednsSize)] : [])]);
}

export interface ParsedAnswer {
  id: number;
  rcode: number;
  truncated: boolean;
  answers: { type: number; ttl: number; data: Buffer }[];
}

/** Parses an answer's resource records (for tests and a client-role resolver). */
export function parseDnsAnswer(msg: Buffer): ParsedAnswer | undefined {
  if (msg.length < HEADER) return undefined;
  const flags = msg.readUInt16BE(2);
  if (!(flags & 0x8000)) return undefined;
  const qd = msg.readUInt16BE(4);
  const an = msg.readUInt16BE(6);
  let i = HEADER;
  for (let q = 0; q < qd; q++) {
    const at = skipName(msg, i);
    if (at === undefined) return undefined;
    i = at + 4;
  }
  const answers: ParsedAnswer['answers'] = [];
  for (let r = 0; r < an; r++) {
    const at = skipName(msg, i);
    if (at === undefined || at + 10 > msg.length) return undefined;
    const rdlen = msg.readUInt16BE(at + 8);
    if (at + 10 + rdlen > msg.length) return undefined;
    answers.push({ type: msg.readUInt16BE(at), ttl: msg.readUInt32BE(at + 4), data: msg.subarray(at + 10, at + 10 + rdlen) });
    i = at + 10 + rdlen;
  }
  return { id: msg.readUInt16BE(0), rcode: flags & 0x0f, truncated: (flags & 0x0200) !== 0, answers };
}
