/**
 * The AT command-line parser and the policy for commands the virtual modem has no use for.
 *
 * A line is parsed completely before anything runs, so a line with an unknown command
 * answers ERROR without half of its settings applied; a dialer that retries with a simpler
 * init string then starts from a known state.
 *
 * ## Unknown-command policy
 *
 * Like real modems, anything not understood answers `ERROR`. The exception is the allow-list
 * below (COMPAT_COMMANDS and the `compat` EXTENDED_COMMANDS): commands that tune modulation,
 * error correction, compression, speaker, or serial-port details of real hardware. They have
 * no meaning on a virtual line but appear in the init strings that dialers send unchanged
 * (chat examples, mgetty, wvdialconf, Windows 9x Dial-Up Networking .inf files, Mac and Amiga
 * dialers), so they answer `OK` and change nothing. Fax (`+FCLASS` other than 0) and voice
 * commands stay `ERROR`, which is what those programs expect from a data-only modem and what
 * makes them fall back gracefully. Caller ID (`#CID`, `+VCID`) is supported: the bank knows
 * which line is calling.
 */

export interface ArgSpec {
  min: number;
  max: number;
  /** When set, only these values are valid (e.g. &K0, &K3..&K6). */
  only?: readonly number[];
}

/** Basic commands the interpreter acts on, with their argument ranges. */
export const BASIC_COMMANDS: Readonly<Record<string, ArgSpec>> = {
  A: { min: 0, max: 0 }, // answer
  E: { min: 0, max: 1 }, // command echo
  H: { min: 0, max: 1 }, // hook
  I: { min: 0, max: 9 }, // identification
  L: { min: 0, max: 3 }, // speaker volume
  M: { min: 0, max: 3 }, // speaker mode
  O: { min: 0, max: 1 }, // back online
  P: { min: 0, max: 0 }, // pulse dialling by default
  Q: { min: 0, max: 1 }, // quiet
  T: { min: 0, max: 0 }, // tone dialling by default
  V: { min: 0, max: 1 }, // verbose
  X: { min: 0, max: 7 }, // result code set (5..7 as 4, as on USR/ZyXEL)
  Z: { min: 0, max: 1 }, // reset to stored profile
  '&C': { min: 0, max: 1 }, // DCD
  '&D': { min: 0, max: 3 }, // DTR
  '&F': { min: 0, max: 2 }, // factory defaults (&F1/&F2 are USR variants)
  '&K': { min: 0, max: 6, only: [0, 3, 4, 5, 6] }, // flow control
  '&S': { min: 0, max: 1 }, // DSR
  '&V': { min: 0, max: 1 }, // view configuration
  '&W': { min: 0, max: 1 }, // write profile
  '&Y': { min: 0, max: 1 }, // power-up profile
};

const ANY: ArgSpec = { min: 0, max: 255 };

/**
 * Accepted and ignored: hardware details with no meaning on a virtual line. Each entry names
 * what it is on the modems whose init strings use it.
 */
export const COMPAT_COMMANDS: Readonly<Record<string, ArgSpec>> = {
  B: ANY, // CCITT/Bell modulation (B0, B1, and Rockwell's B15/B16 from the Win9x .inf)
  C: { min: 0, max: 1 }, // carrier on/off (ancient Hayes)
  F: { min: 0, max: 15 }, // duplex (Hayes) / fixed modulation (USR, Rockwell)
  N: { min: 0, max: 9 }, // automode / speed matching
  W: { min: 0, max: 2 }, // connect message detail (W2 = DCE speed)
  Y: { min: 0, max: 1 }, // long space disconnect
  '&A': ANY, // ARQ result codes (USR)
  '&B': ANY, // fixed DTE rate (USR)
  '&E': ANY, // error control (ZyXEL/Moto)
  '&G': ANY, // guard tone
  '&H': ANY, // flow control (USR)
  '&I': ANY, // software flow control (USR)
  '&J': ANY, // jack type
  '&L': ANY, // leased line
  '&M': ANY, // sync/async mode, error control (USR)
  '&N': ANY, // link rate (USR)
  '&P': ANY, // pulse make/break ratio
  '&Q': ANY, // async/sync mode, error control (Rockwell)
  '&R': ANY, // RTS/CTS
  '&T': ANY, // test modes
  '&U': ANY, // floor link rate (USR)
  '&X': ANY, // sync clock source
  '\\A': ANY, // MNP block size
  '\\B': ANY, // send break
  '\\C': ANY, // auto-reliable buffer
  '\\G': ANY, // modem-to-modem flow control
  '\\J': ANY, // bps rate adjust
  '\\K': ANY, // break control
  '\\N': ANY, // error control mode (\N3 auto-reliable in the Win9x .inf)
  '\\Q': ANY, // flow control
  '\\T': ANY, // inactivity timer (Rockwell)
  '\\V': ANY, // protocol result codes
  '\\X': ANY, // XON/XOFF pass-through
  '%C': ANY, // data compression (%C1 in the Win9x .inf)
  '%E': ANY, // auto retrain
  '%M': ANY, // compression type
};

/**
 * Extended (`+NAME`) commands. `info` ones answer identification text, `fclass` knows class 0
 * only, `compat` ones accept any value and answer OK.
 */
export const EXTENDED_COMMANDS: Readonly<Record<string, 'fclass' | 'info' | 'compat' | 'cid'>> = {
  FCLASS: 'fclass',
  GMI: 'info',
  GMM: 'info',
  GMR: 'info',
  GSN: 'info',
  GCAP: 'info',
  MS: 'compat', // modulation selection (+MS=V34, +MS=11,1,300,33600)
  DS: 'compat', // V.42bis compression
  DR: 'compat', // compression reporting
  ES: 'compat', // error control selection
  ER: 'compat', // error control reporting
  ETBM: 'compat', // buffer management
  IFC: 'compat', // DTE flow control
  IPR: 'compat', // DTE rate
  ICF: 'compat', // DTE framing
  ILRR: 'compat', // local rate reporting
  IDSR: 'compat', // DSR option
  GCI: 'compat', // country of installation
  A8E: 'compat', // V.8 options
  VCID: 'cid', // V.253 §9.2.3 caller ID reporting: +VCID=0 off, 1 formatted
};

/**
 * `#` commands (Rockwell / USRobotics): `#CID` is the caller ID switch that modems before
 * V.253 used (`AT#CID=1`: formatted DATE/TIME/NMBR/NAME between the first and second RING).
 */
export const HASH_COMMANDS: Readonly<Record<string, 'cid'>> = {
  CID: 'cid',
};

export type ExtendedOp = 'exec' | 'set' | 'read' | 'test';

export type Command =
  | { kind: 'basic'; name: string; arg: number }
  | { kind: 'compat'; name: string; arg: number }
  | { kind: 'dial'; text: string }
  | { kind: 'sreg-set'; reg: number; value: number }
  | { kind: 'sreg-query'; reg: number }
  /** Bare `Sn`: selects the register a later bare `?` or `=v` refers to (original Hayes). */
  | { kind: 'sreg-select'; reg: number }
  | { kind: 'store-number'; slot: number; text: string }
  | { kind: 'query-number'; slot: number }
  | { kind: 'extended'; name: string; op: ExtendedOp; value: string };

export type ParseResult = { ok: true; commands: Command[] } | { ok: false; at: number; reason: string };

function argValid(spec: ArgSpec, n: number): boolean {
  if (n < spec.min || n > spec.max) return false;
  return !spec.only || spec.only.includes(n);
}

/**
 * Parse the text after `AT` (without the terminating S3). Spaces are ignored except inside
 * the dial string and the text stored by &Z, which are returned raw; case is ignored.
 */
export function parseCommandLine(body: string): ParseResult {
  const s = body;
  let i = 0;
  const commands: Command[] = [];
  const fail = (reason: string): ParseResult => ({ ok: false, at: i, reason });

  const skipSpaces = (): void => {
    while (i < s.length && s[i] === ' ') i++;
  };
  const readNumber = (): number | undefined => {
    skipSpaces();
    let digits = '';
    while (i < s.length && (s[i]! >= '0' && s[i]! <= '9')) {
      digits += s[i];
      i++;
      skipSpaces();
    }
    // Long digit runs would overflow nothing useful; cap them so "S7=99999999999" is ERROR.
    return digits === '' ? undefined : digits.length > 6 ? 1e6 : Number(digits);
  };

  for (;;) {
    skipSpaces();
    if (i >= s.length) break;
    const c = s[i]!.toUpperCase();

    if (c === ';') {
      i++;
      continue;
    }
    if (c === 'D') {
      // The dial string runs to the end of the line (Hayes); whatever follows is part of it.
      commands.push({ kind: 'dial', text: s.slice(i + 1) });
      break;
    }
    if (c === 'S') {
      i++;
      const reg = readNumber() ?? 0;
      if (reg > 255) return fail(`no register S${reg}`);
      skipSpaces();
      if (s[i] === '=') {
        i++;
        const value = readNumber() ?? 0;
        commands.push({ kind: 'sreg-set', reg, value });
      } else if (s[i] === '?') {
        i++;
        commands.push({ kind: 'sreg-query', reg });
      } else {
        commands.push({ kind: 'sreg-select', reg });
      }
      continue;
    }
    if (c === '?' || c === '=') {
      // Bare "?" / "=v" act on the register selected by a previous bare Sn.
      i++;
      const last = [...commands].reverse().find((x) => x.kind === 'sreg-select');
      const reg = last && last.kind === 'sreg-select' ? last.reg : 0;
      if (c === '?') commands.push({ kind: 'sreg-query', reg });
      else commands.push({ kind: 'sreg-set', reg, value: readNumber() ?? 0 });
      continue;
    }
    if (c === '&' || c === '\\' || c === '%') {
      i++;
      skipSpaces();
      if (i >= s.length) return fail(`'${c}' without a command letter`);
      const letter = s[i]!.toUpperCase();
      i++;
      if (c === '&' && letter === 'Z') {
        const slot = readNumber() ?? 0;
        if (slot > 3) return fail(`no stored number &Z${slot}`);
        skipSpaces();
        if (s[i] === '=') {
          commands.push({ kind: 'store-number', slot, text: s.slice(i + 1).trim() });
          break; // &Z= takes the rest of the line, like D
        }
        if (s[i] === '?') {
          i++;
          commands.push({ kind: 'query-number', slot });
          continue;
        }
        return fail('&Z needs = or ?');
      }
      const name = c + letter;
      const arg = readNumber() ?? 0;
      const basic = BASIC_COMMANDS[name];
      if (basic) {
        if (!argValid(basic, arg)) return fail(`${name}${arg} out of range`);
        commands.push({ kind: 'basic', name, arg });
        continue;
      }
      const compat = COMPAT_COMMANDS[name];
      if (compat) {
        if (!argValid(compat, arg)) return fail(`${name}${arg} out of range`);
        commands.push({ kind: 'compat', name, arg });
        continue;
      }
      return fail(`unknown command ${name}`);
    }
    if (c === '+' || c === '#') {
      i++;
      let name = '';
      while (i < s.length && /[A-Za-z0-9!%\-./:_]/.test(s[i]!)) name += s[i++]!.toUpperCase();
      if (!name) return fail(`'${c}' without a name`);
      if (!(name in (c === '+' ? EXTENDED_COMMANDS : HASH_COMMANDS))) return fail(`unknown command ${c}${name}`);
      // '#' names are kept with their prefix: #CID and +VCID are different commands.
      if (c === '#') name = `#${name}`;
      skipSpaces();
      let op: ExtendedOp = 'exec';
      let value = '';
      if (s.startsWith('=?', i)) {
        op = 'test';
        i += 2;
      } else if (s[i] === '?') {
        op = 'read';
        i++;
      } else if (s[i] === '=') {
        op = 'set';
        i++;
        // V.250 ends a value at ';'. Also stopping at a prefix character keeps lines like
        // "+FCLASS=0&C1" working, which some scripts write without the ';'.
        while (i < s.length && s[i] !== ';' && !'&\\%'.includes(s[i]!)) {
          if (s[i] === '"') {
            const end = s.indexOf('"', i + 1);
            if (end < 0) return fail('unterminated string');
            value += s.slice(i, end + 1);
            i = end + 1;
          } else {
            if (s[i] !== ' ') value += s[i];
            i++;
          }
        }
      }
      commands.push({ kind: 'extended', name, op, value });
      continue;
    }
    if (c >= 'A' && c <= 'Z') {
      i++;
      const arg = readNumber() ?? 0;
      const basic = BASIC_COMMANDS[c];
      if (basic) {
        if (!argValid(basic, arg)) return fail(`${c}${arg} out of range`);
        commands.push({ kind: 'basic', name: c, arg });
        continue;
      }
      const compat = COMPAT_COMMANDS[c];
      if (compat) {
        if (!argValid(compat, arg)) return fail(`${c}${arg} out of range`);
        commands.push({ kind: 'compat', name: c, arg });
        continue;
      }
      return fail(`unknown command ${c}`);
    }
    return fail(`unexpected character '${s[i]}'`);
  }
  return { ok: true, commands };
}
