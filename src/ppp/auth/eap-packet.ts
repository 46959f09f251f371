/** RFC 3748 §4: an EAP packet (Code, Identifier, Length, Data), for the authenticator and the relay. */
export function emitEap(code: number, id: number, data: Uint8Array = Buffer.alloc(0)): Buffer {
  const out = Buffer.alloc(4 + data.length);
  out[0] = code;
  out[1] = id & 0xff;
  out.writeUInt16BE(out.length, 2);
  out.set(data, 4);
  return out;
}
