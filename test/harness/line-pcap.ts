// A pcap file (the same format as dialtone's `pcap FILE`: LINKTYPE_PPP_WITH_DIR)
// from the harness's socat -x dump of a serial line (PppdPeerOptions.capture,
// RUN/line.hex): the async HDLC byte stream of each direction is de-framed
// (RFC 1662: flags, 0x7d escapes, FCS checked and removed, compressed
// address/control and protocol fields expanded).
//
// Direction is from the point of view of the pppd in that UML: "> " blocks
// (pppd -> TCP side) are 'out', "< " blocks are 'in'.

import fs from 'node:fs';
import { pcapHeader, pcapPppRecord, PCAP_LINKTYPE } from '../../src/wire/pcap.js';
import { fcs16Good } from '../../src/wire/fcs.js';

interface Block {
  dir: 'in' | 'out';
  timeMs: number;
  data: number[];
}

/** The blocks of a socat -x dump, in order. */
export function parseSocatHex(text: string): Block[] {
  const blocks: Block[] = [];
  let cur: Block | undefined;
  for (const raw of text.split('\n')) {
    const head = /^([<>]) (\d{4})\/(\d\d)\/(\d\d) (\d\d):(\d\d):(\d\d)\.(\d+)\s+length=\d+/.exec(raw);
    if (head) {
      const [, d, Y, M, D, h, m, s, frac] = head;
      const timeMs = Date.UTC(+Y, +M - 1, +D, +h, +m, +s) + Number(`0.${frac}`) * 1000;
      cur = { dir: d === '>' ? 'out' : 'in', timeMs, data: [] };
      blocks.push(cur);
      continue;
    }
    if (raw.startsWith('--')) {
      cur = undefined;
      continue;
    }
    if (!cur) continue;
    for (const tok of raw.trim().split(/\s+/)) if (/^[0-9a-fA-F]{2}$/.test(tok)) cur.data.push(parseInt(tok, 16));
  }
  return blocks;
}

interface Frame {
  dir: 'in' | 'out';
  timeMs: number;
  protocol: number;
  payload: Buffer;
}

/** De-frames each direction's byte stream; frames with a bad FCS are dropped. */
export function framesFromBlocks(blocks: Block[]): Frame[] {
  const frames: Frame[] = [];
  const state = { in: { buf: [] as number[], esc: false }, out: { buf: [] as number[], esc: false } };
  for (const b of blocks) {
    const st = state[b.dir];
    for (const byte of b.data) {
      if (byte === 0x7e) {
        const f = Buffer.from(st.buf);
        st.buf = [];
        st.esc = false;
        if (f.length < 4 || !fcs16Good(f)) continue;
        let body = f.subarray(0, f.length - 2);
        if (body[0] === 0xff && body[1] === 0x03) body = body.subarray(2);
        let protocol: number;
        if (body[0] & 1) {
          protocol = body[0];
          body = body.subarray(1);
        } else {
          protocol = body.readUInt16BE(0);
          body = body.subarray(2);
        }
        frames.push({ dir: b.dir, timeMs: b.timeMs, protocol, payload: Buffer.from(body) });
      } else if (byte === 0x7d) {
        st.esc = true;
      } else {
        st.buf.push(st.esc ? byte ^ 0x20 : byte);
        st.esc = false;
      }
    }
  }
  return frames;
}

/** Writes `pcapFile` from socat's hex dump `hexFile`; returns the number of frames. */
export function pcapFromSocatHex(hexFile: string, pcapFile: string): number {
  const frames = framesFromBlocks(parseSocatHex(fs.readFileSync(hexFile, 'latin1')));
  const parts = [pcapHeader(PCAP_LINKTYPE)];
  for (const f of frames) parts.push(pcapPppRecord(f.timeMs, f.dir, f.protocol, f.payload));
  fs.writeFileSync(pcapFile, Buffer.concat(parts));
  return frames.length;
}
