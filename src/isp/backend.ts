/** The userspace network behind each ISP session: one NAT stack per client. */
import type { IspConfig } from './config.js';
import type { IspOptions } from './server.js';

export function natBackendFactory(_config: IspConfig): IspOptions['backend'] {
  return undefined;
}
