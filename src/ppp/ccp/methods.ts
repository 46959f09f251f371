/**
 * The compression methods CCP offers and accepts, in pppd 2.4.9's order of preference
 * (ccp.c ccp_addci): MPPE, Deflate (RFC 1979, with the draft's option 24 after 26),
 * BSD-Compress (RFC 1977). Predictor is not offered (pppd only accepts it, with a kernel
 * module Linux does not have). Adding a method is one module and one line here.
 */
import type { CompressionMethod } from './method.js';
import { deflateMethod } from './deflate.js';
import { mppeMethod } from './mppe-method.js';
import { bsdMethod } from './bsd.js';

export const COMPRESSION_METHODS: readonly CompressionMethod[] = [
  mppeMethod,
  deflateMethod,
  bsdMethod,
];
