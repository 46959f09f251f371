/** dialtone's version, and the pppd version whose behaviour it follows. */
export const VERSION = '0.1.0';
export const PPPD_COMPAT = '2.4.9';
