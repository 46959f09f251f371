/** `pcap FILE`: the link's frames, both directions, in a file Wireshark and tshark open. */
import fs from 'node:fs';
import { pcapHeader, pcapPppRecord, PCAP_LINKTYPE } from '../wire/pcap.js';

export interface PcapFile {
  frame(timeMs: number, dir: 'in' | 'out', protocol: number, payload: Buffer): void;
  close(): Promise<void>;
}

export function openPcapFile(path: string): PcapFile {
  const out = fs.createWriteStream(path);
  out.write(pcapHeader(PCAP_LINKTYPE));
  return {
    frame: (t, dir, proto, payload) => void out.write(pcapPppRecord(t, dir, proto, payload)),
    close: () => new Promise((resolve) => out.end(resolve)),
  };
}
