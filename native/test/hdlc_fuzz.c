/*
 * Differential check of native/hdlc_kernel.c under AddressSanitizer: the
 * SIMD stuffing and destuffing against the per-octet loops, on random and
 * biased data (runs of 7D, 7E, control characters) with random ACCMs, into
 * buffers of exactly the room the kernel promises to stay within (2n to
 * stuff, n to destuff), so a store past it is reported; and the folded
 * FCS-16 against the table at every length.  Built and run by
 * src/native/hdlc-kernel-asan.test.ts.  Usage: hdlc_fuzz [cases] [seed]
 */
#define HDLC_KERNEL_NO_NAPI 1
#include "../hdlc_kernel.c"
#include <stdio.h>

static uint8_t octet(int bias) {
  int r = rand();
  switch (bias) {
    case 0: return (uint8_t)r;
    case 1: return (uint8_t)(r & 1 ? ESC : r);
    case 2: return (uint8_t)(r % 3 == 0 ? FLAG : r % 3 == 1 ? ESC : r % 40);
    default: return (uint8_t)(r % 0x30);
  }
}

static void *alloc(size_t n) { return malloc(n ? n : 1); }

int main(int argc, char **argv) {
  long cases = argc > 1 ? atol(argv[1]) : 200000;
  srand(argc > 2 ? (unsigned)atol(argv[2]) : 1);
  build_tables();
  uint8_t esc[256], cls[256];
  for (long t = 0; t < cases; t++) {
    size_t n = (size_t)(rand() % (t & 1 ? 200 : 700));
    int bias = rand() % 4;
    uint8_t *src = alloc(n);
    for (size_t i = 0; i < n; i++) src[i] = octet(bias);
    memset(esc, 0, sizeof esc);
    memset(cls, C_DATA, sizeof cls);
    uint32_t accm = rand() % 3 == 0 ? 0 : (uint32_t)rand() * 2654435761u;
    for (int c = 0; c < 32; c++)
      if ((accm >> c) & 1) esc[c] = 1, cls[c] = 3;
    esc[FLAG] = esc[ESC] = 1;
    cls[FLAG] = C_FLAG;
    cls[ESC] = C_ESC;
    int lim = accm ? 0x20 : 0;

    uint8_t *a = alloc(2 * n), *b = alloc(2 * n);
    size_t oa = stuff(src, n, a, esc, lim, 1), ob = stuff_octets(src, 0, n, b, 0, esc);
    if (oa != ob || memcmp(a, b, oa)) {
      printf("stuff differs: case %ld, n %zu\n", t, n);
      return 1;
    }
    free(a);
    free(b);

    uint8_t *c = alloc(n), *d = alloc(n);
    int ec = rand() & 1, ed = ec;
    size_t wc, wd = 0, id = 0;
    size_t ic = destuff(src, n, c, cls, lim, &ec, &wc);
    destuff_octets(src, &id, n, d, &wd, cls, &ed);
    if (ic != id || wc != wd || ec != ed || memcmp(c, d, wc)) {
      printf("destuff differs: case %ld, n %zu\n", t, n);
      return 1;
    }
    free(c);
    free(d);

    uint16_t init = (uint16_t)rand();
    if (fcs16_any(src, n, init) != fcs16_table(src, n, init)) {
      printf("fcs16 differs: case %ld, n %zu\n", t, n);
      return 1;
    }
    free(src);
  }
  printf("ok %ld cases\n", cases);
  return 0;
}
