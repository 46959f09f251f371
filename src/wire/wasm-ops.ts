/**
 * The WebAssembly opcodes the project's load-time-assembled kernels use
 * (./wasm-asm.ts builds the modules): WebAssembly Core Specification §5.4,
 * SIMD ones as the sub-opcode after the 0xFD prefix.
 */

export const SELECT = 0x1b;
export const I32_LOAD = 0x28;
export const I64_LOAD = 0x29;
export const I32_LOAD8_U = 0x2d;
export const I32_LOAD16_U = 0x2f;
export const I32_STORE = 0x36;
export const I32_STORE8 = 0x3a;
export const I64_CONST = 0x42;
export const I32_EQZ = 0x45;
export const I32_EQ = 0x46;
export const I32_LT_U = 0x49;
export const I32_GT_U = 0x4b;
export const I32_LE_U = 0x4d;
export const I32_GE_U = 0x4f;
export const I32_ADD = 0x6a;
export const I32_AND = 0x71;
export const I32_XOR = 0x73;
export const I32_SHL = 0x74;
export const I32_SHR_U = 0x76;
export const I64_SHR_U = 0x88;
export const I32_WRAP_I64 = 0xa7;
// SIMD sub-opcodes (after the 0xFD prefix).
export const V128_LOAD = 0x00;
export const V128_STORE = 0x0b;
export const I8X16_SPLAT = 0x0f;
export const I32X4_SPLAT = 0x11;
export const I32X4_EXTRACT_LANE = 0x1b;
export const I8X16_EQ = 0x23;
export const I8X16_LT_U = 0x26;
export const V128_OR = 0x50;
export const V128_ANY_TRUE = 0x53;
export const I32X4_EXTADD_PAIRWISE_I16X8_U = 0x7f;
export const I32X4_ADD = 0xae;
