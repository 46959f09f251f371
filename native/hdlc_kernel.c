/*
 * The octet loops of RFC 1662 async HDLC framing in C: FCS-16, octet
 * stuffing and destuffing, with the same contract and memory layout as the
 * WebAssembly kernel in src/wire/hdlc-kernel.ts (which runs when this addon
 * is not built).  Why native as well: on a slow core the WebAssembly FCS-16
 * table walk costs ~2 cycles an octet, the whole of a 1 GB/s budget; with
 * PCLMULQDQ the FCS folds 16 octets per two carry-less multiplies (~0.4
 * cycles an octet here), and SSSE3 shuffles stuff or destuff 8 octets at a
 * time however many need escaping.  Two more entry points skip the copies
 * in and out of the kernel's memory: frame() builds a whole frame in the
 * caller's slab, deframe() takes a whole received piece per call.
 *
 * Pure computation.  hdlcKernel(size) returns memory of its own (C's, so
 * nothing JS does to the ArrayBuffer can free it under a call) and the
 * functions bound to it; every offset and length JS passes is checked, so
 * a wrong call throws instead of touching other memory.
 */
#ifndef HDLC_KERNEL_NO_NAPI
#include <node_api.h>
#endif
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__)
#include <emmintrin.h>
#include <tmmintrin.h>
#include <wmmintrin.h>
#define HAVE_X86 1
#endif

/* Offsets in the shared memory: the same as src/wire/hdlc-kernel.ts. */
#define ESC_TAB 8192
#define CLS_TAB 8448
#define STATE 8704

#define FLAG 0x7e
#define TCP_FIN 0x01
#define TCP_PSH 0x08
#define ESC 0x7d
/* Receive classes (src/wire/hdlc.ts C_*). */
#define C_DATA 0
#define C_ESC 1
#define C_FLAG 2

/* RFC 1662 §C.2: the reflected CCITT polynomial x^16 + x^12 + x^5 + 1. */
#define POLY_REFLECTED 0x8408
#define POLY_NATURAL 0x11021

static uint16_t T8[8][256];
#ifdef HAVE_X86
static uint64_t K_HI; /* x^191 mod P, reflected into the top 16 bits */
static uint64_t K_LO; /* x^127 mod P, likewise */
static uint64_t K4_HI; /* x^575 mod P, likewise: a fold 512 bits along */
static uint64_t K4_LO; /* x^511 mod P */
static int have_clmul;
static int have_ssse3;
/*
 * Shuffle tables by an 8-bit mask of octets to stuff (EXP_*) or to drop
 * (CMP_*): 8 octets in, the octets out with 7D inserted before (and 0x20
 * XORed into) each stuffed one, or with the dropped ones squeezed out.
 */
static uint8_t EXP_SHUF[256][16], EXP_XOR[256][16], EXP_ESC[256][16], EXP_LEN[256];
static uint8_t CMP_SHUF[256][16], CMP_LEN[256];
#endif
static pthread_once_t tables_once = PTHREAD_ONCE_INIT;

/* x^e mod P in the natural bit order (bit k = coefficient of x^k). */
static uint32_t xpow_mod(int e) {
  uint32_t r = 1;
  for (int i = 0; i < e; i++) {
    r <<= 1;
    if (r & 0x10000) r ^= POLY_NATURAL;
  }
  return r;
}

static uint16_t reverse16(uint32_t v) {
  uint16_t r = 0;
  for (int i = 0; i < 16; i++)
    if (v & (1u << i)) r |= (uint16_t)(1u << (15 - i));
  return r;
}

static void build_tables(void) {
  for (int b = 0; b < 256; b++) {
    uint16_t c = (uint16_t)b;
    for (int k = 0; k < 8; k++) c = (c & 1) ? (uint16_t)((c >> 1) ^ POLY_REFLECTED) : (uint16_t)(c >> 1);
    T8[0][b] = c;
  }
  for (int t = 1; t < 8; t++)
    for (int b = 0; b < 256; b++) T8[t][b] = (uint16_t)((T8[t - 1][b] >> 8) ^ T8[0][T8[t - 1][b] & 0xff]);
#ifdef HAVE_X86
  /*
   * Folding in the reflected domain: a 16-octet register X stands for the
   * polynomial whose x^127 coefficient is bit 0.  Its low half h and high
   * half l give X = h*x^64 + l, and moving X 128 bits further along the
   * message is X*x^128 = h*x^192 + l*x^128 == h*(x^192 mod P) + l*(x^128 mod P).
   * A carry-less product of two reflected 64-bit values comes out one bit
   * short of the register's alignment, so the constants carry x^-1:
   * x^191 and x^127.  Degree-15 constants reflected into a 64-bit lane sit
   * in its top 16 bits.
   */
  K_HI = (uint64_t)reverse16(xpow_mod(191)) << 48;
  K_LO = (uint64_t)reverse16(xpow_mod(127)) << 48;
  /* The same move 512 bits along (four registers folded side by side): x^576 and x^512, less one. */
  K4_HI = (uint64_t)reverse16(xpow_mod(575)) << 48;
  K4_LO = (uint64_t)reverse16(xpow_mod(511)) << 48;
  __builtin_cpu_init();
  have_clmul = __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("sse2");
  have_ssse3 = __builtin_cpu_supports("ssse3");
  for (int m = 0; m < 256; m++) {
    int o = 0, c = 0;
    memset(EXP_SHUF[m], 0x80, 16); /* pshufb: 0x80 gives 0 */
    memset(CMP_SHUF[m], 0x80, 16);
    for (int j = 0; j < 8; j++) {
      if (m & (1 << j)) {
        EXP_ESC[m][o++] = ESC;
        EXP_XOR[m][o] = 0x20;
      } else {
        CMP_SHUF[m][c++] = (uint8_t)j;
      }
      EXP_SHUF[m][o++] = (uint8_t)j;
    }
    EXP_LEN[m] = (uint8_t)o;
    CMP_LEN[m] = (uint8_t)c;
  }
#endif
}

/* Slicing-by-8 FCS-16 register update over p[0 .. n). */
static uint16_t fcs16_table(const uint8_t *p, size_t n, uint16_t crc) {
  while (n >= 8) {
    uint32_t lo = (uint32_t)p[0] | (uint32_t)p[1] << 8;
    lo ^= crc;
    crc = (uint16_t)(T8[7][lo & 0xff] ^ T8[6][lo >> 8] ^ T8[5][p[2]] ^ T8[4][p[3]] ^ T8[3][p[4]] ^ T8[2][p[5]] ^
                     T8[1][p[6]] ^ T8[0][p[7]]);
    p += 8;
    n -= 8;
  }
  while (n--) crc = (uint16_t)((crc >> 8) ^ T8[0][(crc ^ *p++) & 0xff]);
  return crc;
}

#ifdef HAVE_X86
/* X moved 128 (k) or 512 (k4) bits along the message, modulo P (see build_tables). */
__attribute__((target("pclmul,sse2"))) static inline __m128i fold(__m128i x, __m128i k) {
  return _mm_xor_si128(_mm_clmulepi64_si128(x, k, 0x00), _mm_clmulepi64_si128(x, k, 0x11));
}

__attribute__((target("pclmul,sse2"))) static uint16_t fcs16_clmul(const uint8_t *p, size_t n, uint16_t crc) {
  /* The running register enters as the first two octets' XOR mask
     (reflected CRCs: the register lines up with the next octets). */
  __m128i x = _mm_xor_si128(_mm_loadu_si128((const __m128i *)p), _mm_cvtsi32_si128(crc));
  const __m128i k = _mm_set_epi64x((long long)K_LO, (long long)K_HI);
  p += 16;
  n -= 16;
  if (n >= 112) {
    /*
     * Four registers, one per 16 octets of each 64, each folded 512 bits at a time: the
     * folds no longer wait on one another (a single register waits on two carry-less
     * multiplies per 16 octets, ~0.55 cycles an octet on the bench machine). At the end
     * they stand for X0*x^384 + X1*x^256 + X2*x^128 + X3, folded into one.
     */
    const __m128i k4 = _mm_set_epi64x((long long)K4_LO, (long long)K4_HI);
    __m128i x1 = _mm_loadu_si128((const __m128i *)p), x2 = _mm_loadu_si128((const __m128i *)(p + 16)),
            x3 = _mm_loadu_si128((const __m128i *)(p + 32));
    p += 48;
    n -= 48;
    while (n >= 64) {
      x = _mm_xor_si128(fold(x, k4), _mm_loadu_si128((const __m128i *)p));
      x1 = _mm_xor_si128(fold(x1, k4), _mm_loadu_si128((const __m128i *)(p + 16)));
      x2 = _mm_xor_si128(fold(x2, k4), _mm_loadu_si128((const __m128i *)(p + 32)));
      x3 = _mm_xor_si128(fold(x3, k4), _mm_loadu_si128((const __m128i *)(p + 48)));
      p += 64;
      n -= 64;
    }
    x = _mm_xor_si128(fold(x, k), x1);
    x = _mm_xor_si128(fold(x, k), x2);
    x = _mm_xor_si128(fold(x, k), x3);
  }
  while (n >= 16) {
    x = _mm_xor_si128(fold(x, k), _mm_loadu_si128((const __m128i *)p));
    p += 16;
    n -= 16;
  }
  /* X now stands for 16 octets whose FCS (from a zero register), run on
     into the tail, is the whole message's. */
  uint8_t folded[16];
  _mm_storeu_si128((__m128i *)folded, x);
  return fcs16_table(p, n, fcs16_table(folded, 16, 0));
}
#endif

static uint16_t fcs16_any(const uint8_t *p, size_t n, uint16_t crc) {
#ifdef HAVE_X86
  if (have_clmul && n >= 32) return fcs16_clmul(p, n, crc);
#endif
  return fcs16_table(p, n, crc);
}

/* The per-octet stuffing step from i to n; returns the new output end. */
static inline size_t stuff_octets(const uint8_t *src, size_t i, size_t n, uint8_t *dst, size_t o, const uint8_t *esc) {
  for (; i < n; i++) {
    uint8_t b = src[i];
    unsigned e = esc[b];
    /* Branch-free: write an escape, then the octet over it or after it. */
    dst[o] = ESC;
    dst[o + e] = (uint8_t)(b ^ (e << 5));
    o += 1 + e;
  }
  return o;
}

/*
 * The per-octet destuffing step from *i up to stop: returns 1 at a flag
 * (*i left on it).  An escape that is itself escaped (7D 7D) gives 5D, as
 * ppp_async does; a deleted octet (received ACCM) leaves a pending escape.
 */
static inline int destuff_octets(const uint8_t *src, size_t *i, size_t stop, uint8_t *dst, size_t *o,
                                 const uint8_t *cls, int *e) {
  size_t j = *i, out = *o;
  int esc = *e, flag = 0;
  while (j < stop) {
    uint8_t b = src[j];
    unsigned c = cls[b];
    if (c == C_FLAG) {
      flag = 1;
      break;
    }
    j++;
    if (c > C_FLAG) continue; /* deleted */
    unsigned start = c & (unsigned)(esc ^ 1);
    dst[out] = (uint8_t)(b ^ ((unsigned)esc << 5));
    out += start ^ 1;
    esc = (int)start;
  }
  *i = j;
  *o = out;
  *e = esc;
  return flag;
}

#ifdef HAVE_X86
/* Everything up to pop_options may use SSSE3: called only when the CPU has it. */
#pragma GCC push_options
#pragma GCC target("ssse3")

/* Octets of v below 0x20 whose entry in tab[0 .. 32) is nonzero, as 0xFF octets. */
static inline __m128i low_member(__m128i v, __m128i lo, __m128i hi) {
  __m128i lt16 = _mm_cmpeq_epi8(_mm_min_epu8(v, _mm_set1_epi8(15)), v);
  __m128i lt32 = _mm_cmpeq_epi8(_mm_min_epu8(v, _mm_set1_epi8(31)), v);
  /* pshufb looks at the low 4 bits (a set bit 7 gives 0): v < 16 indexes lo, 16 <= v < 32 hi. */
  __m128i t = _mm_or_si128(_mm_and_si128(_mm_shuffle_epi8(lo, v), lt16),
                           _mm_andnot_si128(lt16, _mm_and_si128(_mm_shuffle_epi8(hi, v), lt32)));
  return _mm_andnot_si128(_mm_cmpeq_epi8(t, _mm_setzero_si128()), _mm_set1_epi8(-1));
}

/* 8 octets (the low half of v) stuffed by mask m into dst; returns the octets written (8-16). */
static inline unsigned expand8(__m128i v, unsigned m, uint8_t *dst) {
  __m128i x = _mm_shuffle_epi8(v, _mm_loadu_si128((const __m128i *)EXP_SHUF[m]));
  x = _mm_xor_si128(x, _mm_loadu_si128((const __m128i *)EXP_XOR[m]));
  x = _mm_or_si128(x, _mm_loadu_si128((const __m128i *)EXP_ESC[m]));
  _mm_storeu_si128((__m128i *)dst, x);
  return EXP_LEN[m];
}

/* 16 octets v stuffed by their mask m (octets to escape) into dst; returns the octets written. */
static inline unsigned stuff16(__m128i v, unsigned m, uint8_t *dst) {
  if (!m) {
    _mm_storeu_si128((__m128i *)dst, v);
    return 16;
  }
  unsigned o = expand8(v, m & 0xff, dst);
  return o + expand8(_mm_srli_si128(v, 8), m >> 8, dst + o);
}

/*
 * stuff() for tables that escape nothing but 7D, 7E and control characters:
 * each 16 octets' exact mask of octets to stuff comes from two compares and
 * two table shuffles (the escape table's first 32 entries), and each half
 * is stuffed by one shuffle: no per-octet branch however many need it (the
 * default ACCM stuffs ~14% of random octets).  dst has room for 2n, and each
 * store writes 16 octets at most 2i + 32 <= 2n.
 */
static size_t stuff_ssse3(const uint8_t *src, size_t n, uint8_t *dst, const uint8_t *esc) {
  const __m128i lo = _mm_loadu_si128((const __m128i *)esc), hi = _mm_loadu_si128((const __m128i *)(esc + 16));
  const __m128i f = _mm_set1_epi8(FLAG), e = _mm_set1_epi8(ESC);
  /* ACCM 0 (what links negotiate): no control character to look for. */
  const int ctl = _mm_movemask_epi8(_mm_cmpeq_epi8(_mm_or_si128(lo, hi), _mm_setzero_si128())) != 0xffff;
  size_t i = 0, o = 0;
  for (; i + 16 <= n; i += 16) {
    __m128i v = _mm_loadu_si128((const __m128i *)(src + i));
    __m128i sp = _mm_or_si128(_mm_cmpeq_epi8(v, f), _mm_cmpeq_epi8(v, e));
    if (ctl) sp = _mm_or_si128(sp, low_member(v, lo, hi));
    o += stuff16(v, (unsigned)_mm_movemask_epi8(sp), dst + o);
  }
  return stuff_octets(src, i, n, dst, o, esc);
}

/*
 * stuff() and the FCS-16 in one pass, for the escape table of ACCM 0 (only 7D and 7E
 * escaped) and n >= 64: the payload is read once, 64 octets a step, the four 16-octet
 * registers of the FCS folded as in fcs16_clmul while the same octets are compared and
 * stored (60% of random 64-octet runs hold no 7D or 7E: one test, four stores). *crc: the
 * register over the header in, over header and payload out. dst has room for 2n.
 */
__attribute__((target("pclmul,ssse3"))) static size_t stuff_fcs_accm0(const uint8_t *src, size_t n, uint8_t *dst,
                                                                     uint16_t *crc) {
  const __m128i f = _mm_set1_epi8(FLAG), e = _mm_set1_epi8(ESC);
  const __m128i k = _mm_set_epi64x((long long)K_LO, (long long)K_HI);
  const __m128i k4 = _mm_set_epi64x((long long)K4_LO, (long long)K4_HI);
#define SPECIAL(v) ((unsigned)_mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8((v), f), _mm_cmpeq_epi8((v), e))))
  __m128i a = _mm_loadu_si128((const __m128i *)src), b = _mm_loadu_si128((const __m128i *)(src + 16)),
          c = _mm_loadu_si128((const __m128i *)(src + 32)), d = _mm_loadu_si128((const __m128i *)(src + 48));
  size_t o = 0;
  o += stuff16(a, SPECIAL(a), dst + o);
  o += stuff16(b, SPECIAL(b), dst + o);
  o += stuff16(c, SPECIAL(c), dst + o);
  o += stuff16(d, SPECIAL(d), dst + o);
  /* The running register enters as the first two octets' XOR mask (see fcs16_clmul). */
  __m128i x0 = _mm_xor_si128(a, _mm_cvtsi32_si128(*crc)), x1 = b, x2 = c, x3 = d;
  size_t i = 64;
  for (; i + 64 <= n; i += 64) {
    a = _mm_loadu_si128((const __m128i *)(src + i));
    b = _mm_loadu_si128((const __m128i *)(src + i + 16));
    c = _mm_loadu_si128((const __m128i *)(src + i + 32));
    d = _mm_loadu_si128((const __m128i *)(src + i + 48));
    x0 = _mm_xor_si128(fold(x0, k4), a);
    x1 = _mm_xor_si128(fold(x1, k4), b);
    x2 = _mm_xor_si128(fold(x2, k4), c);
    x3 = _mm_xor_si128(fold(x3, k4), d);
    __m128i sa = _mm_or_si128(_mm_cmpeq_epi8(a, f), _mm_cmpeq_epi8(a, e));
    __m128i sb = _mm_or_si128(_mm_cmpeq_epi8(b, f), _mm_cmpeq_epi8(b, e));
    __m128i sc = _mm_or_si128(_mm_cmpeq_epi8(c, f), _mm_cmpeq_epi8(c, e));
    __m128i sd = _mm_or_si128(_mm_cmpeq_epi8(d, f), _mm_cmpeq_epi8(d, e));
    if (!_mm_movemask_epi8(_mm_or_si128(_mm_or_si128(sa, sb), _mm_or_si128(sc, sd)))) {
      _mm_storeu_si128((__m128i *)(dst + o), a);
      _mm_storeu_si128((__m128i *)(dst + o + 16), b);
      _mm_storeu_si128((__m128i *)(dst + o + 32), c);
      _mm_storeu_si128((__m128i *)(dst + o + 48), d);
      o += 64;
      continue;
    }
    o += stuff16(a, (unsigned)_mm_movemask_epi8(sa), dst + o);
    o += stuff16(b, (unsigned)_mm_movemask_epi8(sb), dst + o);
    o += stuff16(c, (unsigned)_mm_movemask_epi8(sc), dst + o);
    o += stuff16(d, (unsigned)_mm_movemask_epi8(sd), dst + o);
  }
  __m128i x = _mm_xor_si128(fold(x0, k), x1);
  x = _mm_xor_si128(fold(x, k), x2);
  x = _mm_xor_si128(fold(x, k), x3);
  for (; i + 16 <= n; i += 16) {
    a = _mm_loadu_si128((const __m128i *)(src + i));
    x = _mm_xor_si128(fold(x, k), a);
    o += stuff16(a, SPECIAL(a), dst + o);
  }
#undef SPECIAL
  /* As fcs16_clmul ends: the folded 16 octets' FCS from a zero register, run on into the tail. */
  uint8_t folded[16];
  _mm_storeu_si128((__m128i *)folded, x);
  *crc = fcs16_table(src + i, n - i, fcs16_table(folded, 16, 0));
  for (; i < n; i++) {
    uint8_t v = src[i];
    if (v == FLAG || v == ESC) {
      dst[o++] = ESC;
      dst[o++] = (uint8_t)(v ^ 0x20);
    } else {
      dst[o++] = v;
    }
  }
  return o;
}

/*
 * destuff() by blocks: 16 octets holding only data and single escapes (no
 * flag, no deleted octet, no 7D 7D) are done at once: XOR 0x20 into each
 * octet after a 7D, then squeeze the 7Ds out, half by half.  Any other
 * block goes octet by octet.
 * dst has room for n: with o <= i the stores end by o + 16 <= n.
 */
static size_t destuff_ssse3(const uint8_t *src, size_t n, uint8_t *dst, const uint8_t *cls, int lim, int *escaped,
                            size_t *out) {
  /* 0xFF where the class is "delete" (3), for the first 32 octet values. */
  const __m128i clo = _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)cls), _mm_set1_epi8(3));
  const __m128i chi = _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(cls + 16)), _mm_set1_epi8(3));
  const __m128i f = _mm_set1_epi8(FLAG), x7d = _mm_set1_epi8(ESC), x20 = _mm_set1_epi8(0x20);
  size_t i = 0, o = 0;
  int e = *escaped;
  /*
   * 16-octet steps left before the 64-octet test is worth trying again: after it fails,
   * the four blocks it looked at go by blocks (retrying at every block made a run with one
   * 7D near its end fail the test four times over).
   */
  int steps = 0;
  while (i < n) {
    /* 64 data octets at once (60% of random runs at ACCM 0): one test, one branch. */
    while (!steps && !e && i + 64 <= n) {
      __m128i a = _mm_loadu_si128((const __m128i *)(src + i)), b = _mm_loadu_si128((const __m128i *)(src + i + 16)),
              c = _mm_loadu_si128((const __m128i *)(src + i + 32)), d = _mm_loadu_si128((const __m128i *)(src + i + 48));
      __m128i any = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(a, x7d), _mm_cmpeq_epi8(b, x7d)),
                                 _mm_or_si128(_mm_cmpeq_epi8(c, x7d), _mm_cmpeq_epi8(d, x7d)));
      any = _mm_or_si128(any, _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(a, f), _mm_cmpeq_epi8(b, f)),
                                           _mm_or_si128(_mm_cmpeq_epi8(c, f), _mm_cmpeq_epi8(d, f))));
      if (lim > 0) {
        /* Any octet below lim might be a deleted one: the block steps decide. */
        __m128i lo = _mm_min_epu8(_mm_min_epu8(a, b), _mm_min_epu8(c, d));
        any = _mm_or_si128(any, _mm_cmpeq_epi8(_mm_min_epu8(lo, _mm_set1_epi8((char)(lim - 1))), lo));
      }
      if (_mm_movemask_epi8(any)) {
        steps = 4;
        break;
      }
      _mm_storeu_si128((__m128i *)(dst + o), a);
      _mm_storeu_si128((__m128i *)(dst + o + 16), b);
      _mm_storeu_si128((__m128i *)(dst + o + 32), c);
      _mm_storeu_si128((__m128i *)(dst + o + 48), d);
      o += 64;
      i += 64;
    }
    if (steps) steps--;
    if (i + 16 <= n) {
      __m128i v = _mm_loadu_si128((const __m128i *)(src + i));
      __m128i esc = _mm_cmpeq_epi8(v, x7d);
      __m128i stop = _mm_cmpeq_epi8(v, f);
      if (lim > 0) stop = _mm_or_si128(stop, low_member(v, clo, chi));
      unsigned em = (unsigned)_mm_movemask_epi8(esc), sm = (unsigned)_mm_movemask_epi8(stop);
      if (!(em | sm | (unsigned)e)) {
        /* Data only (~89% of random blocks at ACCM 0): as it is. */
        _mm_storeu_si128((__m128i *)(dst + o), v);
        o += 16;
        i += 16;
        continue;
      }
      /* 7D 7D, also across blocks (an escape pending, a 7D first), goes octet by octet. */
      if (!sm && !(em & ((em << 1) | (unsigned)e))) {
        /* Each octet after a 7D (the first one too, if an escape is pending) gets 0x20. */
        __m128i carry = _mm_slli_si128(_mm_and_si128(esc, x20), 1);
        __m128i x = _mm_xor_si128(v, _mm_or_si128(carry, _mm_cvtsi32_si128(e << 5)));
        _mm_storel_epi64((__m128i *)(dst + o), _mm_shuffle_epi8(x, _mm_loadu_si128((const __m128i *)CMP_SHUF[em & 0xff])));
        o += CMP_LEN[em & 0xff];
        _mm_storel_epi64((__m128i *)(dst + o),
                         _mm_shuffle_epi8(_mm_srli_si128(x, 8), _mm_loadu_si128((const __m128i *)CMP_SHUF[em >> 8])));
        o += CMP_LEN[em >> 8];
        e = (int)(em >> 15); /* a 7D ending the block escapes the next one's first octet */
        i += 16;
        continue;
      }
    }
    if (destuff_octets(src, &i, i + 16 < n ? i + 16 : n, dst, &o, cls, &e)) break;
  }
  *escaped = e;
  *out = o;
  return i;
}
#pragma GCC pop_options
#endif

/*
 * RFC 1662 §4.2 octet stuffing of src[0 .. n) by `esc` (1 = send 7D, octet
 * ^ 0x20) into dst, which has room for 2n octets; returns the octets
 * written.  With `simd`, the table escapes nothing but 7D, 7E and control
 * characters, so 16 octets at a time are stuffed by shuffles.
 */
static size_t stuff(const uint8_t *src, size_t n, uint8_t *dst, const uint8_t *esc, int lim, int simd) {
#ifdef HAVE_X86
  if (simd && have_ssse3) return stuff_ssse3(src, n, dst, esc);
#endif
  return stuff_octets(src, 0, n, dst, 0, esc);
}

/*
 * Undo the stuffing of src[0 .. n) into dst (room for n) by the class table
 * (data, escape, flag, delete), stopping AT a flag or at the end; returns
 * where it stopped, and leaves the octets written and the pending escape in
 * *out and *escaped.  `lim`: octets below it may be deleted ones.
 */
static size_t destuff(const uint8_t *src, size_t n, uint8_t *dst, const uint8_t *cls, int lim, int *escaped,
                      size_t *out) {
#ifdef HAVE_X86
  if (have_ssse3) return destuff_ssse3(src, n, dst, cls, lim, escaped, out);
#endif
  size_t i = 0, o = 0;
  destuff_octets(src, &i, n, dst, &o, cls, escaped);
  *out = o;
  return i;
}

#ifndef HDLC_KERNEL_NO_NAPI /* native/test/hdlc_fuzz.c builds the loops alone */
/*
 * The memory is C's (so nothing JS does to its ArrayBuffer, such as
 * transferring it, can free it under a call); it is freed when the buffer
 * and the three functions are all collected.
 */
typedef struct {
  uint8_t *mem;
  size_t len;
  int refs;
} kmem;

static void kmem_release(napi_env env, void *data, void *hint) {
  kmem *km = hint;
  if (--km->refs == 0) {
    free(km->mem);
    free(km);
  }
}

#define ARGS(N)                                                                        \
  size_t argc = N;                                                                     \
  napi_value argv[N];                                                                  \
  kmem *km;                                                                            \
  if (napi_get_cb_info(env, info, &argc, argv, NULL, (void **)&km) != napi_ok) return NULL; \
  uint32_t a[N];                                                                       \
  for (size_t j = 0; j < N; j++)                                                       \
    if (j >= argc || napi_get_value_uint32(env, argv[j], &a[j]) != napi_ok) return range_error(env);

static napi_value range_error(napi_env env) {
  napi_throw_range_error(env, NULL, "hdlc kernel: offset or length outside its memory");
  return NULL;
}

static int fits(const kmem *km, uint64_t off, uint64_t n) { return off <= km->len && n <= km->len - off; }

static napi_value num(napi_env env, uint32_t v) {
  napi_value r;
  napi_create_uint32(env, v, &r);
  return r;
}

/* fcs16(p, n, crc) -> crc */
static napi_value js_fcs16(napi_env env, napi_callback_info info) {
  ARGS(3)
  if (!fits(km, a[0], a[1])) return range_error(env);
  return num(env, fcs16_any(km->mem + a[0], a[1], (uint16_t)a[2]));
}

/* stuff(src, n, dst, lim, simd) -> dst end */
static napi_value js_stuff(napi_env env, napi_callback_info info) {
  ARGS(5)
  if (!fits(km, a[0], a[1]) || !fits(km, a[2], 2 * (uint64_t)a[1]) || a[3] > 0x100) return range_error(env);
  size_t o = stuff(km->mem + a[0], a[1], km->mem + a[2], km->mem + ESC_TAB, (int)a[3], a[4] != 0);
  return num(env, a[2] + (uint32_t)o);
}

/* destuff(src, n, dst, lim, escaped) -> where it stopped; STATE gets [dst end, escaped] */
static napi_value js_destuff(napi_env env, napi_callback_info info) {
  ARGS(5)
  if (!fits(km, a[0], a[1]) || !fits(km, a[2], a[1]) || a[3] > 0x100) return range_error(env);
  int e = a[4] != 0;
  size_t o;
  size_t stop = destuff(km->mem + a[0], a[1], km->mem + a[2], km->mem + CLS_TAB, (int)a[3], &e, &o);
  int32_t st[2] = {(int32_t)(a[2] + o), e};
  memcpy(km->mem + STATE, st, sizeof st);
  return num(env, a[0] + (uint32_t)stop);
}

static int typed(napi_env env, napi_value v, uint8_t **p, size_t *n) {
  napi_typedarray_type t;
  void *d;
  if (napi_get_typedarray_info(env, v, &t, n, &d, NULL, NULL) != napi_ok || t != napi_uint8_array) return 0;
  *p = d;
  return 1;
}

/*
 * frame(payload, out) -> end: a whole frame, 7E stuffed(header payload FCS)
 * 7E, written straight into `out` at `at` (which must have room for the
 * worst case, every octet stuffed): no copy in or out of the kernel's
 * memory.  The numbers come in FRAME_ARGS (uint32): [0] `hdr`, the 1-4
 * header octets, first in the low byte; [1] `hlen`, how many; [2] `fcs32`;
 * [3] `at`; [4] `mode`, stuff()'s `lim` plus 0x200 for FCS-32, whose
 * complemented CRC (zlib's, computed by the caller) is `fcs32`; [5] `simd`.
 * Through memory rather than as arguments: each number argument is a call
 * into N-API (~10-15 ns), and this runs once per frame sent.  FCS-16 is
 * computed here.  The escape table is the one at ESC_TAB.
 */
#define FRAME_ARGS 9760
#define FR_COUNT 8

/*
 * One FCS-16 frame whose octets are in up to two spans after the PPP
 * header (`a` then `b`: a segment's IP/TCP header and its payload), written
 * at o; returns its end.  ACCM 0 with the SIMD kernels stuffs the long span
 * and runs its FCS in one pass; otherwise FCS, then stuffing.
 */
static uint8_t *frame16(uint8_t *o, const uint8_t *hdr, size_t hlen, const uint8_t *a, size_t an, const uint8_t *b,
                        size_t bn, const uint8_t *esc, int lim, int simd) {
  uint8_t tail[2];
  uint16_t crc = fcs16_table(hdr, hlen, 0xffff);
  *o++ = FLAG;
  o += stuff(hdr, hlen, o, esc, lim, 0);
#ifdef HAVE_X86
  if (lim == 0 && simd && have_ssse3 && have_clmul && bn >= 64) {
    if (an) {
      crc = fcs16_any(a, an, crc);
      o += stuff(a, an, o, esc, lim, an >= 64);
    }
    o += stuff_fcs_accm0(b, bn, o, &crc);
  } else
#endif
  {
    crc = fcs16_any(b, bn, fcs16_any(a, an, crc));
    o += stuff(a, an, o, esc, lim, simd && an >= 64);
    o += stuff(b, bn, o, esc, lim, simd);
  }
  crc ^= 0xffff; /* transmitted complemented, LSB first (RFC 1662 §C.2) */
  tail[0] = (uint8_t)crc;
  tail[1] = (uint8_t)(crc >> 8);
  o += stuff(tail, 2, o, esc, lim, 0);
  *o++ = FLAG;
  return o;
}

/* The (Uint8Array, Uint8Array) arguments of frame() and frameGso(); NULL when they are not. */
static kmem *two_arrays(napi_env env, napi_callback_info info, uint8_t **p, size_t *n, uint8_t **out, size_t *outLen) {
  size_t argc = 2;
  napi_value argv[2];
  kmem *km;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, (void **)&km) != napi_ok || argc < 2) return NULL;
  if (!typed(env, argv[0], p, n) || !typed(env, argv[1], out, outLen)) return NULL;
  return km;
}

static napi_value js_frame(napi_env env, napi_callback_info info) {
  uint8_t *src, *out;
  size_t n, outLen;
  kmem *km = two_arrays(env, info, &src, &n, &out, &outLen);
  if (!km) return range_error(env);
  uint32_t a[6];
  memcpy(a, km->mem + FRAME_ARGS, sizeof a);
  uint32_t hdrw = a[0], hlen = a[1], fcs32 = a[2], at = a[3], mode = a[4], simd = a[5];
  int lim = (int)(mode & 0x1ff), use32 = (mode & 0x200) != 0;
  size_t flen = use32 ? 4 : 2;
  if (hlen > 4 || lim > 0x100 || at > outLen || outLen - at < 2 + 2 * ((uint64_t)hlen + n + flen)) return range_error(env);
  uint8_t hdr[4], tail[4];
  for (uint32_t j = 0; j < 4; j++) hdr[j] = (uint8_t)(hdrw >> (8 * j));
  const uint8_t *esc = km->mem + ESC_TAB;
  if (!use32) return num(env, (uint32_t)(frame16(out + at, hdr, hlen, src, 0, src, n, esc, lim, (int)simd) - out));
  for (int j = 0; j < 4; j++) tail[j] = (uint8_t)(fcs32 >> (8 * j));
  uint8_t *o = out + at;
  *o++ = FLAG;
  o += stuff(hdr, hlen, o, esc, lim, 0);
  o += stuff(src, n, o, esc, lim, (int)simd);
  o += stuff(tail, flen, o, esc, lim, 0);
  *o++ = FLAG;
  return num(env, (uint32_t)(o - out));
}

/*
 * The Internet checksum (RFC 1071) of p[0..n) added to s, summed in the
 * machine's order 32 bits at a time: §2(B), the sum is independent of byte
 * order up to a final swap, and §2(C), wider words fold to the same 16 bits.
 */
static uint64_t sum_ne(const uint8_t *p, size_t n, uint64_t s) {
  for (; n >= 8; p += 8, n -= 8) {
    uint64_t w;
    memcpy(&w, p, 8);
    s += (w & 0xffffffffu) + (w >> 32);
  }
  if (n >= 4) {
    uint32_t w;
    memcpy(&w, p, 4);
    s += w;
    p += 4;
    n -= 4;
  }
  if (n >= 2) {
    uint16_t w;
    memcpy(&w, p, 2);
    s += w;
    p += 2;
    n -= 2;
  }
  if (n) {
    /* The odd octet is the high half of its big-endian word, padded with zero. */
    uint8_t w[2] = {p[0], 0};
    uint16_t v;
    memcpy(&v, w, 2);
    s += v;
  }
  return s;
}

/* The folded, complemented checksum stored big-endian at p. */
static void put_csum(uint8_t *p, uint64_t s) {
  while (s >> 16) s = (s & 0xffff) + (s >> 16);
  uint16_t c = (uint16_t)~s;
  memcpy(p, &c, 2); /* machine order in, machine order out: the octets land as summed */
}

static uint32_t be32(const uint8_t *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }
static void put_be16(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 8);
  p[1] = (uint8_t)v;
}

/*
 * frameGso(packet, out) -> end: segmentation offload (Linux's GSO/TSO).
 * `packet` is one IPv4 TCP segment carrying up to 64 KiB, built by the
 * stack; it leaves here as the frames of the segments of FRAME_ARGS[6]
 * (the MSS) octets each that the stack would have sent one by one, back to
 * back in `out` from `at`, each with its own IP total length,
 * identification (the packet's, then +1 per segment), header checksum,
 * sequence number and TCP checksum (RFC 9293 §3.1, over the pseudo-header);
 * FIN and PSH stay on the last segment only.  FRAME_ARGS[7] is the first
 * segment to write, and on return the first not written: it stops before a
 * segment whose worst case (every octet stuffed) would not fit, so the
 * caller needs room for one segment, not for all.  FCS-16 links; the other
 * numbers are frame()'s.  The packet is the stack's own, checked only as
 * far as memory safety needs.
 */
static napi_value js_frame_gso(napi_env env, napi_callback_info info) {
  uint8_t *pkt, *out;
  size_t n, outLen;
  kmem *km = two_arrays(env, info, &pkt, &n, &out, &outLen);
  if (!km) return range_error(env);
  uint32_t a[FR_COUNT];
  memcpy(a, km->mem + FRAME_ARGS, sizeof a);
  uint32_t hdrw = a[0], hlen = a[1], at = a[3], mode = a[4], simd = a[5], mss = a[6], first = a[7];
  int lim = (int)(mode & 0x1ff);
  if (hlen > 4 || lim > 0x100 || (mode & 0x200) || mss == 0 || at > outLen || n < 40 || (pkt[0] >> 4) != 4 || pkt[9] != 6)
    return range_error(env);
  size_t iph = (size_t)(pkt[0] & 15) * 4, tcph = n > iph + 12 ? (size_t)(pkt[iph + 12] >> 4) * 4 : 0;
  if (iph < 20 || tcph < 20 || iph + tcph > n) return range_error(env);
  size_t hl = iph + tcph, plen = n - hl, segs = plen ? (plen + mss - 1) / mss : 1;
  uint8_t ppp[4], h[120];
  for (uint32_t j = 0; j < 4; j++) ppp[j] = (uint8_t)(hdrw >> (8 * j));
  const uint8_t *esc = km->mem + ESC_TAB;
  memcpy(h, pkt, hl);
  uint32_t id0 = (uint32_t)pkt[4] << 8 | pkt[5], seq0 = be32(pkt + iph + 4);
  uint8_t flags = pkt[iph + 13];
  /* The pseudo-header (RFC 9293 §3.1): addresses, zero, protocol, TCP length. */
  uint8_t pseudo[12];
  memcpy(pseudo, pkt + 12, 8);
  pseudo[8] = 0;
  pseudo[9] = 6;
  uint8_t *o = out + at, *end = out + outLen;
  size_t s = first;
  for (; s < segs; s++) {
    size_t off = s * mss, len = plen - off < mss ? plen - off : mss;
    if ((size_t)(end - o) < 2 + 2 * (hlen + hl + len + 2)) break;
    put_be16(h + 2, (uint32_t)(hl + len));
    put_be16(h + 4, id0 + (uint32_t)s);
    h[10] = h[11] = 0;
    put_csum(h + 10, sum_ne(h, iph, 0));
    uint32_t seq = seq0 + (uint32_t)off;
    h[iph + 4] = (uint8_t)(seq >> 24);
    h[iph + 5] = (uint8_t)(seq >> 16);
    h[iph + 6] = (uint8_t)(seq >> 8);
    h[iph + 7] = (uint8_t)seq;
    h[iph + 13] = s + 1 < segs ? flags & ~(TCP_FIN | TCP_PSH) : flags;
    h[iph + 16] = h[iph + 17] = 0;
    put_be16(pseudo + 10, (uint32_t)(tcph + len));
    put_csum(h + iph + 16, sum_ne(pkt + hl + off, len, sum_ne(h + iph, tcph, sum_ne(pseudo, 12, 0))));
    o = frame16(o, ppp, hlen, h, hl, pkt + hl + off, len, esc, lim, (int)simd);
  }
  a[7] = (uint32_t)s;
  memcpy(km->mem + FRAME_ARGS + 7 * sizeof(uint32_t), &a[7], sizeof a[7]);
  return num(env, (uint32_t)(o - out));
}

/*
 * deframe(chunk, i, out, lim) -> where it stopped: the receive side of a
 * whole piece in one call.  Destuffs chunk[i ..) straight into `out`
 * (room for the rest of the chunk required), frame after frame, running
 * FCS-16 over each, and records each frame a flag closes: no copy in or
 * out of the kernel's memory, one call per piece rather than per frame.
 * The frame in progress goes in and comes out through STATE (int32):
 *   [0] where to write next   [1] escape pending   [2] FCS-16 register
 *       (or > 0xFFFF: none)   [3] its length       [4] cap (longest kept)
 *   [5] too long              [6] frames recorded  [7] its start
 * and each recorded frame is [start, length, DF_* flags, FCS-16 register]
 * at RECORDS.  It stops early (returning past the last flag) when
 * MAX_RECORDS are recorded.  Empty frames (back-to-back flags, RFC 1662
 * §4.4.2) are not recorded; an abort (7D 7E, §4.2) is, even when empty.
 */
#define RECORDS (STATE + 32)
#define MAX_RECORDS 64
#define DF_ABORT 1
#define DF_TOO_LONG 2
_Static_assert(FRAME_ARGS == RECORDS + MAX_RECORDS * 4 * sizeof(int32_t), "frame()'s numbers follow deframe()'s records");
static napi_value js_deframe(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  kmem *km;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, (void **)&km) != napi_ok || argc < 4) return range_error(env);
  uint8_t *src, *out;
  size_t n, outLen;
  uint32_t i, lim;
  if (!typed(env, argv[0], &src, &n) || !typed(env, argv[2], &out, &outLen) ||
      napi_get_value_uint32(env, argv[1], &i) != napi_ok || napi_get_value_uint32(env, argv[3], &lim) != napi_ok)
    return range_error(env);
  int32_t P[8], R[MAX_RECORDS][4];
  memcpy(P, km->mem + STATE, sizeof P);
  uint32_t at = (uint32_t)P[0], fcs = (uint32_t)P[2], len = (uint32_t)P[3], cap = (uint32_t)P[4];
  int e = P[1] != 0, over = P[5] != 0;
  const int withFcs = fcs <= 0xffff;
  if (i > n || lim > 0x100 || at > outLen || outLen - at < n - i || len > at) return range_error(env);
  uint32_t start = at - len, nrec = 0;
  const uint8_t *cls = km->mem + CLS_TAB;
  size_t pos = i;
  while (pos < n) {
    size_t o;
    pos += destuff(src + pos, n - pos, out + at, cls, (int)lim, &e, &o);
    if (o > 0 && !over) {
      if (o > cap - len) {
        /* Nothing beyond cap counts; what was written past it is never handed out. */
        len = cap;
        over = 1;
      } else {
        if (withFcs) fcs = fcs16_any(out + at, o, (uint16_t)fcs);
        len += (uint32_t)o;
      }
    }
    at += (uint32_t)o;
    if (pos >= n) break;
    /* A flag at pos closes the frame. */
    if (e || len > 0 || over) {
      R[nrec][0] = (int32_t)start;
      R[nrec][1] = (int32_t)len;
      R[nrec][2] = (e ? DF_ABORT : 0) | (over ? DF_TOO_LONG : 0);
      R[nrec][3] = (int32_t)fcs;
      nrec++;
    }
    pos++;
    e = over = 0;
    len = 0;
    if (withFcs) fcs = 0xffff;
    start = at;
    if (nrec == MAX_RECORDS) break;
  }
  P[0] = (int32_t)at;
  P[1] = e;
  P[2] = (int32_t)fcs;
  P[3] = (int32_t)len;
  P[5] = over;
  P[6] = (int32_t)nrec;
  P[7] = (int32_t)start;
  memcpy(km->mem + STATE, P, sizeof P);
  memcpy(km->mem + RECORDS, R, nrec * sizeof R[0]);
  return num(env, (uint32_t)pos);
}

/* hdlcKernel(size) -> { mem: ArrayBuffer, fcs16, stuff, destuff, clmul } */
napi_value dialtone_hdlc_kernel(napi_env env, napi_callback_info info) {
  pthread_once(&tables_once, build_tables);
  size_t argc = 1;
  napi_value arg;
  uint32_t size;
  if (napi_get_cb_info(env, info, &argc, &arg, NULL, NULL) != napi_ok || argc < 1 ||
      napi_get_value_uint32(env, arg, &size) != napi_ok || size < FRAME_ARGS + FR_COUNT * sizeof(uint32_t)) {
    napi_throw_type_error(env, NULL, "hdlcKernel: needs a size of at least 9792 octets");
    return NULL;
  }
  kmem *km = calloc(1, sizeof *km);
  uint8_t *mem = calloc(1, size);
  if (!km || !mem) {
    free(km);
    free(mem);
    napi_throw_error(env, NULL, "hdlcKernel: out of memory");
    return NULL;
  }
  km->mem = mem;
  km->len = size;
  napi_value obj, ab, f;
  napi_create_object(env, &obj);
  km->refs = 1;
  if (napi_create_external_arraybuffer(env, mem, size, kmem_release, km, &ab) != napi_ok) {
    free(mem);
    free(km);
    napi_throw_error(env, NULL, "hdlcKernel: no external ArrayBuffer here");
    return NULL;
  }
  napi_set_named_property(env, obj, "mem", ab);
  static const struct {
    const char *name;
    napi_callback cb;
  } fns[] = {{"fcs16", js_fcs16}, {"stuff", js_stuff}, {"destuff", js_destuff}, {"frame", js_frame}, {"frameGso", js_frame_gso}, {"deframe", js_deframe}};
  for (size_t j = 0; j < sizeof fns / sizeof fns[0]; j++) {
    if (napi_create_function(env, fns[j].name, NAPI_AUTO_LENGTH, fns[j].cb, km, &f) != napi_ok) return NULL;
    km->refs++;
    napi_add_finalizer(env, f, NULL, kmem_release, km, NULL);
    napi_set_named_property(env, obj, fns[j].name, f);
  }
  napi_value clmul;
#ifdef HAVE_X86
  napi_get_boolean(env, have_clmul != 0, &clmul);
#else
  napi_get_boolean(env, 0, &clmul);
#endif
  napi_set_named_property(env, obj, "clmul", clmul);
  return obj;
}
#endif
