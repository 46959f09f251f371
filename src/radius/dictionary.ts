// The RADIUS attribute dictionary: names, codes and data types of the standard attributes
// (RFC 2865, 2866, 2869, 3162, 5176) and Microsoft's vendor attributes (RFC 2548), plus a
// parser for FreeRADIUS-format dictionary files so that an operator can add vendor attributes
// (`radius-dictionary FILE` in isp.conf). Parsing is pure: file reading is injected.

export type AttributeDataType =
  | 'string' | 'octets' | 'ipaddr' | 'integer' | 'date' | 'ipv6addr' | 'ipv6prefix' | 'ifid'
  | 'integer64' | 'byte' | 'short' | 'signed' | 'ether' | 'abinary' | 'vsa' | 'tlv' | 'ipv4prefix'
  | 'combo-ip' | 'extended' | 'long-extended' | 'evs';

const dataTypes = new Set<string>(['string', 'octets', 'ipaddr', 'integer', 'date', 'ipv6addr', 'ipv6prefix', 'ifid', 'integer64', 'byte', 'short', 'signed', 'ether', 'abinary', 'vsa', 'tlv', 'ipv4prefix', 'combo-ip', 'extended', 'long-extended', 'evs']);

export interface AttributeDef {
  name: string;
  /** 0 for the standard space; the IANA enterprise number otherwise. */
  vendorId: number;
  code: number;
  type: AttributeDataType;
  /** FreeRADIUS encrypt=N: 1 = User-Password (RFC 2865 §5.2), 2 = salted (RFC 2548 / 2868), 3 = Ascend. */
  encrypt?: number;
  hasTag?: boolean;
}

export interface VendorDef {
  name: string;
  id: number;
  /** Octets of the sub-attribute type and length fields (FreeRADIUS `format=T,L`); 1,1 is RFC 2865's recommendation. */
  typeOctets: number;
  lengthOctets: number;
}

export const MICROSOFT_VENDOR_ID = 311;

export class DictionaryError extends Error {
  constructor(readonly file: string, readonly line: number, message: string) {
    super(`${file}:${line}: ${message}`);
  }
}

export class Dictionary {
  private readonly byName = new Map<string, AttributeDef>();
  private readonly byCode = new Map<string, AttributeDef>();
  private readonly vendorsByName = new Map<string, VendorDef>();
  private readonly vendorsById = new Map<number, VendorDef>();
  /** attribute name (lower case) → value name (lower case) → number, and the reverse. */
  private readonly values = new Map<string, Map<string, number>>();
  private readonly valueNames = new Map<string, Map<number, string>>();

  addVendor(v: VendorDef): void {
    this.vendorsByName.set(v.name.toLowerCase(), v);
    this.vendorsById.set(v.id, v);
  }
  vendor(nameOrId: string | number): VendorDef | undefined {
    return typeof nameOrId === 'number' ? this.vendorsById.get(nameOrId) : this.vendorsByName.get(nameOrId.toLowerCase());
  }

  /** A later definition of the same name or code wins, as in FreeRADIUS (files loaded later override). */
  addAttribute(def: AttributeDef): void {
    this.byName.set(def.name.toLowerCase(), def);
    const key = `${def.vendorId}:${def.code}`;
    if (!this.byCode.has(key)) this.byCode.set(key, def);
  }
  attribute(name: string): AttributeDef | undefined {
    return this.byName.get(name.toLowerCase());
  }
  attributeByCode(code: number, vendorId = 0): AttributeDef | undefined {
    return this.byCode.get(`${vendorId}:${code}`);
  }

  addValue(attribute: string, name: string, value: number): void {
    const a = attribute.toLowerCase();
    let m = this.values.get(a);
    if (!m) this.values.set(a, (m = new Map()));
    m.set(name.toLowerCase(), value);
    let r = this.valueNames.get(a);
    if (!r) this.valueNames.set(a, (r = new Map()));
    if (!r.has(value)) r.set(value, name);
  }
  value(attribute: string, name: string): number | undefined {
    return this.values.get(attribute.toLowerCase())?.get(name.toLowerCase());
  }
  valueName(attribute: string, value: number): string | undefined {
    return this.valueNames.get(attribute.toLowerCase())?.get(value);
  }

  /** Number of attribute names known (for diagnostics and tests). */
  get size(): number {
    return this.byName.size;
  }
}

/** Standard attributes: [name, code, type, flags]. RFC 2865 §5, 2866 §5, 2869 §5, 3162 §2, 5176 §3. */
const STANDARD: Array<[string, number, AttributeDataType, string?]> = [
  // RFC 2865
  ['User-Name', 1, 'string'], ['User-Password', 2, 'string', 'encrypt=1'], ['CHAP-Password', 3, 'octets'],
  ['NAS-IP-Address', 4, 'ipaddr'], ['NAS-Port', 5, 'integer'], ['Service-Type', 6, 'integer'],
  ['Framed-Protocol', 7, 'integer'], ['Framed-IP-Address', 8, 'ipaddr'], ['Framed-IP-Netmask', 9, 'ipaddr'],
  ['Framed-Routing', 10, 'integer'], ['Filter-Id', 11, 'string'], ['Framed-MTU', 12, 'integer'],
  ['Framed-Compression', 13, 'integer'], ['Login-IP-Host', 14, 'ipaddr'], ['Login-Service', 15, 'integer'],
  ['Login-TCP-Port', 16, 'integer'], ['Reply-Message', 18, 'string'], ['Callback-Number', 19, 'string'],
  ['Callback-Id', 20, 'string'], ['Framed-Route', 22, 'string'], ['Framed-IPX-Network', 23, 'ipaddr'],
  ['State', 24, 'octets'], ['Class', 25, 'octets'], ['Vendor-Specific', 26, 'vsa'],
  ['Session-Timeout', 27, 'integer'], ['Idle-Timeout', 28, 'integer'], ['Termination-Action', 29, 'integer'],
  ['Called-Station-Id', 30, 'string'], ['Calling-Station-Id', 31, 'string'], ['NAS-Identifier', 32, 'string'],
  ['Proxy-State', 33, 'octets'], ['Login-LAT-Service', 34, 'string'], ['Login-LAT-Node', 35, 'string'],
  ['Login-LAT-Group', 36, 'octets'], ['Framed-AppleTalk-Link', 37, 'integer'],
  ['Framed-AppleTalk-Network', 38, 'integer'], ['Framed-AppleTalk-Zone', 39, 'string'],
  ['CHAP-Challenge', 60, 'octets'], ['NAS-Port-Type', 61, 'integer'], ['Port-Limit', 62, 'integer'],
  ['Login-LAT-Port', 63, 'string'],
  // RFC 2866
  ['Acct-Status-Type', 40, 'integer'], ['Acct-Delay-Time', 41, 'integer'], ['Acct-Input-Octets', 42, 'integer'],
  ['Acct-Output-Octets', 43, 'integer'], ['Acct-Session-Id', 44, 'string'], ['Acct-Authentic', 45, 'integer'],
  ['Acct-Session-Time', 46, 'integer'], ['Acct-Input-Packets', 47, 'integer'], ['Acct-Output-Packets', 48, 'integer'],
  ['Acct-Terminate-Cause', 49, 'integer'], ['Acct-Multi-Session-Id', 50, 'string'], ['Acct-Link-Count', 51, 'integer'],
  // RFC 2869
  ['Acct-Input-Gigawords', 52, 'integer'], ['Acct-Output-Gigawords', 53, 'integer'], ['Event-Timestamp', 55, 'date'],
  ['ARAP-Password', 70, 'octets'], ['ARAP-Features', 71, 'octets'], ['ARAP-Zone-Access', 72, 'integer'],
  ['ARAP-Security', 73, 'integer'], ['ARAP-Security-Data', 74, 'string'], ['Password-Retry', 75, 'integer'],
  ['Prompt', 76, 'integer'], ['Connect-Info', 77, 'string'], ['Configuration-Token', 78, 'string'],
  ['EAP-Message', 79, 'octets'], ['Message-Authenticator', 80, 'octets'], ['ARAP-Challenge-Response', 84, 'octets'],
  ['Acct-Interim-Interval', 85, 'integer'], ['NAS-Port-Id', 87, 'string'], ['Framed-Pool', 88, 'string'],
  // RFC 3162
  ['NAS-IPv6-Address', 95, 'ipv6addr'], ['Framed-Interface-Id', 96, 'ifid'], ['Framed-IPv6-Prefix', 97, 'ipv6prefix'],
  ['Login-IPv6-Host', 98, 'ipv6addr'], ['Framed-IPv6-Route', 99, 'string'], ['Framed-IPv6-Pool', 100, 'string'],
  // RFC 5176
  ['Error-Cause', 101, 'integer'],
];

/** RFC 2548 §2: Microsoft's vendor attributes (vendor 311). */
const MICROSOFT: Array<[string, number, AttributeDataType, string?]> = [
  ['MS-CHAP-Response', 1, 'octets'], ['MS-CHAP-Error', 2, 'string'], ['MS-CHAP-CPW-1', 3, 'octets'],
  ['MS-CHAP-CPW-2', 4, 'octets'], ['MS-CHAP-LM-Enc-PW', 5, 'octets'], ['MS-CHAP-NT-Enc-PW', 6, 'octets'],
  ['MS-MPPE-Encryption-Policy', 7, 'integer'], ['MS-MPPE-Encryption-Types', 8, 'integer'],
  ['MS-RAS-Vendor', 9, 'integer'], ['MS-CHAP-Domain', 10, 'string'], ['MS-CHAP-Challenge', 11, 'octets'],
  ['MS-CHAP-MPPE-Keys', 12, 'octets', 'encrypt=1'], ['MS-BAP-Usage', 13, 'integer'],
  ['MS-Link-Utilization-Threshold', 14, 'integer'], ['MS-Link-Drop-Time-Limit', 15, 'integer'],
  ['MS-MPPE-Send-Key', 16, 'octets', 'encrypt=2'], ['MS-MPPE-Recv-Key', 17, 'octets', 'encrypt=2'],
  ['MS-RAS-Version', 18, 'string'], ['MS-Old-ARAP-Password', 19, 'octets'], ['MS-New-ARAP-Password', 20, 'octets'],
  ['MS-ARAP-PW-Change-Reason', 21, 'integer'], ['MS-Filter', 22, 'octets'], ['MS-Acct-Auth-Type', 23, 'integer'],
  ['MS-Acct-EAP-Type', 24, 'integer'], ['MS-CHAP2-Response', 25, 'octets'], ['MS-CHAP2-Success', 26, 'octets'],
  ['MS-CHAP2-CPW', 27, 'octets'], ['MS-Primary-DNS-Server', 28, 'ipaddr'], ['MS-Secondary-DNS-Server', 29, 'ipaddr'],
  ['MS-Primary-NBNS-Server', 30, 'ipaddr'], ['MS-Secondary-NBNS-Server', 31, 'ipaddr'],
];

const STANDARD_VALUES: Array<[string, string, number]> = [
  ['Service-Type', 'Login-User', 1], ['Service-Type', 'Framed-User', 2], ['Service-Type', 'Callback-Login-User', 3],
  ['Service-Type', 'Callback-Framed-User', 4], ['Service-Type', 'Outbound-User', 5], ['Service-Type', 'Administrative-User', 6],
  ['Service-Type', 'NAS-Prompt-User', 7], ['Service-Type', 'Authenticate-Only', 8], ['Service-Type', 'Authorize-Only', 17],
  ['Framed-Protocol', 'PPP', 1], ['Framed-Protocol', 'SLIP', 2],
  // RFC 2865 §5.41
  ['NAS-Port-Type', 'Async', 0], ['NAS-Port-Type', 'Sync', 1], ['NAS-Port-Type', 'ISDN', 2], ['NAS-Port-Type', 'ISDN-V120', 3],
  ['NAS-Port-Type', 'ISDN-V110', 4], ['NAS-Port-Type', 'Virtual', 5], ['NAS-Port-Type', 'PIAFS', 6],
  ['NAS-Port-Type', 'HDLC-Clear-Channel', 7], ['NAS-Port-Type', 'X.25', 8], ['NAS-Port-Type', 'X.75', 9],
  ['NAS-Port-Type', 'G.3-Fax', 10], ['NAS-Port-Type', 'SDSL', 11], ['NAS-Port-Type', 'ADSL-CAP', 12],
  ['NAS-Port-Type', 'ADSL-DMT', 13], ['NAS-Port-Type', 'IDSL', 14], ['NAS-Port-Type', 'Ethernet', 15],
  ['NAS-Port-Type', 'xDSL', 16], ['NAS-Port-Type', 'Cable', 17], ['NAS-Port-Type', 'Wireless-Other', 18],
  ['NAS-Port-Type', 'Wireless-802.11', 19],
  // RFC 2866 §5.1, §5.6, §5.10
  ['Acct-Status-Type', 'Start', 1], ['Acct-Status-Type', 'Stop', 2], ['Acct-Status-Type', 'Interim-Update', 3],
  ['Acct-Status-Type', 'Accounting-On', 7], ['Acct-Status-Type', 'Accounting-Off', 8],
  ['Acct-Authentic', 'RADIUS', 1], ['Acct-Authentic', 'Local', 2], ['Acct-Authentic', 'Remote', 3],
  ['Acct-Terminate-Cause', 'User-Request', 1], ['Acct-Terminate-Cause', 'Lost-Carrier', 2],
  ['Acct-Terminate-Cause', 'Lost-Service', 3], ['Acct-Terminate-Cause', 'Idle-Timeout', 4],
  ['Acct-Terminate-Cause', 'Session-Timeout', 5], ['Acct-Terminate-Cause', 'Admin-Reset', 6],
  ['Acct-Terminate-Cause', 'Admin-Reboot', 7], ['Acct-Terminate-Cause', 'Port-Error', 8],
  ['Acct-Terminate-Cause', 'NAS-Error', 9], ['Acct-Terminate-Cause', 'NAS-Request', 10],
  ['Acct-Terminate-Cause', 'NAS-Reboot', 11], ['Acct-Terminate-Cause', 'Port-Unneeded', 12],
  ['Acct-Terminate-Cause', 'Port-Preempted', 13], ['Acct-Terminate-Cause', 'Port-Suspended', 14],
  ['Acct-Terminate-Cause', 'Service-Unavailable', 15], ['Acct-Terminate-Cause', 'Callback', 16],
  ['Acct-Terminate-Cause', 'User-Error', 17], ['Acct-Terminate-Cause', 'Host-Request', 18],
  // RFC 5176 §3.5
  ['Error-Cause', 'Residual-Context-Removed', 201], ['Error-Cause', 'Invalid-EAP-Packet', 202],
  ['Error-Cause', 'Unsupported-Attribute', 401], ['Error-Cause', 'Missing-Attribute', 402],
  ['Error-Cause', 'NAS-Identification-Mismatch', 403], ['Error-Cause', 'Invalid-Request', 404],
  ['Error-Cause', 'Unsupported-Service', 405], ['Error-Cause', 'Unsupported-Extension', 406],
  ['Error-Cause', 'Invalid-Attribute-Value', 407], ['Error-Cause', 'Administratively-Prohibited', 501],
  ['Error-Cause', 'Request-Not-Routable', 502], ['Error-Cause', 'Session-Context-Not-Found', 503],
  ['Error-Cause', 'Session-Context-Not-Removable', 504], ['Error-Cause', 'Other-Proxy-Processing-Error', 505],
  ['Error-Cause', 'Resources-Unavailable', 506], ['Error-Cause', 'Request-Initiated', 507],
  ['Error-Cause', 'Multiple-Session-Selection-Unsupported', 508],
];

function flagsOf(flags: string | undefined): Pick<AttributeDef, 'encrypt' | 'hasTag'> {
  const out: Pick<AttributeDef, 'encrypt' | 'hasTag'> = {};
  for (const f of (flags ?? '').split(',').filter(Boolean)) {
    if (f === 'has_tag') out.hasTag = true;
    else if (f.startsWith('encrypt=')) out.encrypt = Number(f.slice(8));
  }
  return out;
}

/** A new dictionary holding the built-in standard and Microsoft attributes. */
export function standardDictionary(): Dictionary {
  const d = new Dictionary();
  for (const [name, code, type, flags] of STANDARD) d.addAttribute({ name, vendorId: 0, code, type, ...flagsOf(flags) });
  d.addVendor({ name: 'Microsoft', id: MICROSOFT_VENDOR_ID, typeOctets: 1, lengthOctets: 1 });
  for (const [name, code, type, flags] of MICROSOFT) d.addAttribute({ name, vendorId: MICROSOFT_VENDOR_ID, code, type, ...flagsOf(flags) });
  for (const [a, n, v] of STANDARD_VALUES) d.addValue(a, n, v);
  return d;
}

/** Reads a dictionary file by path; returns undefined when it does not exist. */
export type DictionaryReader = (path: string) => string | undefined;

const MAX_INCLUDE_DEPTH = 16;

function dirname(p: string): string {
  const i = p.lastIndexOf('/');
  return i < 0 ? '.' : i === 0 ? '/' : p.slice(0, i);
}

function parseNumber(s: string): number | undefined {
  if (/^0x[0-9a-f]+$/i.test(s)) return parseInt(s, 16);
  if (/^\d+$/.test(s)) return Number(s);
  return undefined;
}

/**
 * Loads a FreeRADIUS-format dictionary file into `dict`: ATTRIBUTE name code type [vendor]
 * [flags], VALUE attr name number, VENDOR name id [format=t,l], BEGIN-VENDOR / END-VENDOR,
 * $INCLUDE (relative to the including file; `$INCLUDE-` tolerates a missing file). Nested TLV
 * blocks (BEGIN-TLV) and dotted TLV codes are accepted and skipped: we never decode them.
 * Throws DictionaryError naming file:line.
 */
export function loadDictionary(dict: Dictionary, path: string, read: DictionaryReader, depth = 0): void {
  const text = read(path);
  if (text === undefined) throw new DictionaryError(path, 0, 'cannot read dictionary file');
  let vendorBlock: VendorDef | undefined;
  let tlvDepth = 0;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const fail = (m: string): never => {
      throw new DictionaryError(path, lineNo, m);
    };
    const words = lines[i]!.replace(/#.*$/, '').trim().split(/\s+/).filter(Boolean);
    if (words.length === 0) continue;
    const [kw, ...args] = words as [string, ...string[]];
    switch (kw.toUpperCase()) {
      case '$INCLUDE':
      case '$INCLUDE-': {
        if (args.length !== 1) fail(`${kw} needs one file name`);
        if (depth >= MAX_INCLUDE_DEPTH) fail(`${kw} nested more than ${MAX_INCLUDE_DEPTH} deep`);
        const dir = dirname(path);
        const target = args[0]!.startsWith('/') ? args[0]! : `${dir === '/' ? '' : dir}/${args[0]!}`;
        if (kw === '$INCLUDE-' && read(target) === undefined) break;
        if (read(target) === undefined) fail(`cannot read included file ${target}`);
        loadDictionary(dict, target, read, depth + 1);
        break;
      }
      case 'VENDOR': {
        if (args.length < 2) fail('VENDOR needs a name and a number');
        const id = parseNumber(args[1]!);
        if (id === undefined || id > 0xffffffff) fail(`bad vendor number "${args[1]}"`);
        let typeOctets = 1;
        let lengthOctets = 1;
        const fmt = args[2];
        if (fmt !== undefined) {
          const m = /^format=([124]),([012])(,c)?$/.exec(fmt);
          if (!m) fail(`bad vendor format "${fmt}"`);
          typeOctets = Number(m![1]);
          lengthOctets = Number(m![2]);
        }
        dict.addVendor({ name: args[0]!, id: id!, typeOctets, lengthOctets });
        break;
      }
      case 'BEGIN-VENDOR': {
        if (args.length < 1) fail('BEGIN-VENDOR needs a vendor name');
        if (vendorBlock) fail(`BEGIN-VENDOR ${args[0]} inside BEGIN-VENDOR ${vendorBlock.name}`);
        vendorBlock = dict.vendor(args[0]!);
        if (!vendorBlock) fail(`unknown vendor "${args[0]}"`);
        break;
      }
      case 'END-VENDOR': {
        if (!vendorBlock) fail('END-VENDOR without BEGIN-VENDOR');
        if (args[0] !== undefined && args[0].toLowerCase() !== vendorBlock!.name.toLowerCase()) fail(`END-VENDOR ${args[0]} closes BEGIN-VENDOR ${vendorBlock!.name}`);
        vendorBlock = undefined;
        break;
      }
      case 'BEGIN-TLV':
        tlvDepth++;
        break;
      case 'END-TLV':
        if (tlvDepth === 0) fail('END-TLV without BEGIN-TLV');
        tlvDepth--;
        break;
      case 'ATTRIBUTE': {
        if (args.length < 3) fail('ATTRIBUTE needs a name, a number and a type');
        const [name, codeText, typeText, ...rest] = args as [string, string, string, ...string[]];
        const baseType = typeText.replace(/\[\d+\]$/, '').toLowerCase(); // FreeRADIUS accepts "String"
        if (!dataTypes.has(baseType)) fail(`unknown data type "${typeText}" for ${name}`);
        if (tlvDepth > 0 || /^\d+(\.\d+)+$/.test(codeText)) break; // a TLV member: not decoded here
        const code = parseNumber(codeText);
        if (code === undefined) fail(`bad attribute number "${codeText}" for ${name}`);
        let vendorId = vendorBlock?.id ?? 0;
        let flags: string | undefined;
        for (const r of rest) {
          // The old format names the vendor as the fourth field; the new one puts flags there.
          if (/^(has_tag|encrypt=\d|array|concat|virtual|secret|abinary|internal|long|extended|evs|enum=\S+|ref=\S+|clone=\S+)(,|$)/.test(r)) flags = r;
          else {
            const v = dict.vendor(r);
            if (!v) fail(`unknown vendor "${r}" for ${name}`);
            vendorId = v!.id;
          }
        }
        const maxCode = vendorId === 0 ? 255 : vendorBlock && vendorBlock.typeOctets === 2 ? 0xffff : vendorBlock && vendorBlock.typeOctets === 4 ? 0xffffffff : 255;
        if (code! > maxCode && !(vendorId === 0 && code! <= 0xffff)) fail(`attribute number ${code} out of range for ${name}`);
        dict.addAttribute({ name, vendorId, code: code!, type: baseType as AttributeDataType, ...flagsOf(flags) });
        break;
      }
      case 'VALUE': {
        if (args.length < 3) fail('VALUE needs an attribute, a name and a number');
        const n = parseNumber(args[2]!);
        if (n === undefined) fail(`bad value number "${args[2]}"`);
        dict.addValue(args[0]!, args[1]!, n!);
        break;
      }
      case 'FLAGS':
      case 'PROTOCOL':
      case 'BEGIN-PROTOCOL':
      case 'END-PROTOCOL':
        break;
      default:
        fail(`unknown keyword "${kw}"`);
    }
  }
  if (vendorBlock) throw new DictionaryError(path, lines.length, `BEGIN-VENDOR ${vendorBlock.name} not closed`);
}
