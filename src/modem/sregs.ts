/**
 * S-registers and the settings profile of the virtual modem.
 *
 * The register set follows the Hayes/Rockwell layout that init strings of the 1990s assume
 * (S0 auto-answer, S2 escape character, S7 carrier wait, S12 guard time, ...). Any register
 * 0..255 may be written, because Windows 9x .inf files and vendor init strings poke registers
 * that only mean something on one chipset (S95=47, S37=..., S109=...); refusing them would
 * make Dial-Up Networking report "the modem is not responding". Only the registers listed in
 * SREG_DEFS have an effect or appear in &V.
 */

export interface SRegDef {
  readonly reg: number;
  readonly name: string;
  readonly def: number;
  readonly min: number;
  readonly max: number;
  /** What one unit of the value means, for &V and documentation. */
  readonly unit: string;
}

export const SREG_DEFS: readonly SRegDef[] = [
  { reg: 0, name: 'rings before auto-answer (0 = off)', def: 0, min: 0, max: 255, unit: 'rings' },
  { reg: 1, name: 'ring counter', def: 0, min: 0, max: 255, unit: 'rings' },
  { reg: 2, name: 'escape character (>127 disables +++)', def: 43, min: 0, max: 255, unit: 'ASCII' },
  { reg: 3, name: 'carriage return character', def: 13, min: 0, max: 127, unit: 'ASCII' },
  { reg: 4, name: 'line feed character', def: 10, min: 0, max: 127, unit: 'ASCII' },
  { reg: 5, name: 'backspace character', def: 8, min: 0, max: 127, unit: 'ASCII' },
  { reg: 6, name: 'wait for dial tone', def: 2, min: 0, max: 255, unit: 's' },
  { reg: 7, name: 'wait for carrier after dial/answer (0 = forever)', def: 50, min: 0, max: 255, unit: 's' },
  { reg: 8, name: 'comma pause time', def: 2, min: 0, max: 255, unit: 's' },
  { reg: 9, name: 'carrier detect response time', def: 6, min: 0, max: 255, unit: '0.1 s' },
  { reg: 10, name: 'lost carrier to hang up delay', def: 14, min: 0, max: 255, unit: '0.1 s' },
  { reg: 11, name: 'DTMF tone duration', def: 95, min: 0, max: 255, unit: 'ms' },
  { reg: 12, name: 'escape guard time', def: 50, min: 0, max: 255, unit: '0.02 s' },
  { reg: 25, name: 'DTR detect time', def: 5, min: 0, max: 255, unit: '0.01 s' },
  { reg: 30, name: 'inactivity disconnect (0 = off)', def: 0, min: 0, max: 255, unit: '10 s' },
];

const DEF_BY_REG = new Map(SREG_DEFS.map((d) => [d.reg, d]));

export function sregDef(reg: number): SRegDef | undefined {
  return DEF_BY_REG.get(reg);
}

/** True if `value` may be stored in register `reg`. */
export function sregValueValid(reg: number, value: number): boolean {
  if (!Number.isInteger(reg) || reg < 0 || reg > 255) return false;
  if (!Number.isInteger(value)) return false;
  const d = DEF_BY_REG.get(reg);
  if (d) return value >= d.min && value <= d.max;
  return value >= 0 && value <= 255;
}

/** The settings that &W stores, Z recalls and &F resets. */
export interface Profile {
  echo: boolean; // E
  quiet: boolean; // Q
  verbose: boolean; // V
  /** X: which result codes are reported (0..4; 5..7 are accepted and behave like 4). */
  resultLevel: number;
  speakerVolume: number; // L (stored only)
  speakerMode: number; // M (stored only)
  /** &C: 0 = DCD always on, 1 = DCD follows the carrier. */
  dcdMode: number;
  /** &D: 0 ignore DTR, 1 DTR drop -> online command mode, 2 -> hang up, 3 -> hang up and reset. */
  dtrMode: number;
  /** &K flow control (stored only: the virtual line never overruns). */
  flowControl: number;
  /** &S DSR mode (stored only). */
  dsrMode: number;
  /** T/P: default dialling method when the dial string does not say. */
  pulse: boolean;
  /** #CID / +VCID: 0 = no caller ID, 1 = formatted (DATE, TIME, NMBR, NAME) after the first RING. */
  callerId: number;
  /** S0..S255. */
  sregs: number[];
}

export function factoryProfile(): Profile {
  const sregs = new Array<number>(256).fill(0);
  for (const d of SREG_DEFS) sregs[d.reg] = d.def;
  return {
    echo: true,
    quiet: false,
    verbose: true,
    resultLevel: 4,
    speakerVolume: 1,
    speakerMode: 1,
    // Factory &C1&D2 rather than the historical &C0&D0: every dialer (pppd, mgetty, DUN)
    // sets these anyway, and hanging up on DTR loss is what users of a bank expect.
    dcdMode: 1,
    dtrMode: 2,
    flowControl: 3,
    dsrMode: 0,
    pulse: false,
    callerId: 0,
    sregs,
  };
}

export function cloneProfile(p: Profile): Profile {
  return { ...p, sregs: p.sregs.slice() };
}

/**
 * Non-volatile memory: what survives ATZ and, if the owner keeps the object, a new modem
 * instance (the modem bank keeps one per line so &W survives a TCP reconnect).
 */
export interface Nvram {
  profiles: [Profile, Profile];
  /** &Y: the profile loaded at power-up. */
  powerUpProfile: number;
  /** &Z0..&Z3 stored dial strings. */
  numbers: string[];
}

export const STORED_NUMBER_SLOTS = 4;

export function factoryNvram(): Nvram {
  return {
    profiles: [factoryProfile(), factoryProfile()],
    powerUpProfile: 0,
    numbers: new Array<string>(STORED_NUMBER_SLOTS).fill(''),
  };
}

/** The active settings as the command letters that would set them, as &V shows them. */
export function profileSummary(p: Profile): string {
  return [
    `E${+p.echo}`,
    `L${p.speakerVolume}`,
    `M${p.speakerMode}`,
    `Q${+p.quiet}`,
    p.pulse ? 'P' : 'T',
    `V${+p.verbose}`,
    `X${p.resultLevel}`,
    `&C${p.dcdMode}`,
    `&D${p.dtrMode}`,
    `&K${p.flowControl}`,
    `&S${p.dsrMode}`,
  ].join(' ');
}

/** The registers with a meaning, as `S00:000 S01:000 ...`, eight per line. */
export function sregSummary(p: Profile): string[] {
  const cells = SREG_DEFS.map((d) => `S${String(d.reg).padStart(2, '0')}:${String(p.sregs[d.reg]).padStart(3, '0')}`);
  const lines: string[] = [];
  for (let i = 0; i < cells.length; i += 8) lines.push(cells.slice(i, i + 8).join(' '));
  return lines;
}
