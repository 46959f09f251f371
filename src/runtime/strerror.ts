/**
 * C strerror() text for a Node error, as pppd and chat print it with %m: the one copy
 * (the daemon, its scripts, serial lines, locks and chat use it).
 */
import util from 'node:util';

const MESSAGES: Record<string, string> = {
  EACCES: 'Permission denied',
  EPERM: 'Operation not permitted',
  ENOENT: 'No such file or directory',
  ENOTDIR: 'Not a directory',
  EISDIR: 'Is a directory',
  ELOOP: 'Too many levels of symbolic links',
  ENAMETOOLONG: 'File name too long',
  EEXIST: 'File exists',
  EBUSY: 'Device or resource busy',
  EIO: 'Input/output error',
  ENXIO: 'No such device or address',
  ENODEV: 'No such device',
  EROFS: 'Read-only file system',
  ENOSPC: 'No space left on device',
  EMFILE: 'Too many open files',
  EAGAIN: 'Resource temporarily unavailable',
  ECONNREFUSED: 'Connection refused',
  ECONNRESET: 'Connection reset by peer',
  EADDRINUSE: 'Address already in use',
  EADDRNOTAVAIL: 'Cannot assign requested address',
  ETIMEDOUT: 'Connection timed out',
  EHOSTUNREACH: 'No route to host',
  ENETUNREACH: 'Network is unreachable',
  ENOTTY: 'Inappropriate ioctl for device',
  EINVAL: 'Invalid argument',
  EPIPE: 'Broken pipe',
  ESRCH: 'No such process',
  EINTR: 'Interrupted system call',
  E2BIG: 'Argument list too long',
  ENOEXEC: 'Exec format error',
  EBADF: 'Bad file descriptor',
  ENOMEM: 'Cannot allocate memory',
  ETXTBSY: 'Text file busy',
};

/** `err` is a Node error, or an errno name such as 'EINVAL'. */
export function strerror(err: unknown): string {
  if (typeof err === 'string' && /^E[A-Z0-9]+$/.test(err)) return MESSAGES[err] ?? err;
  const e = err as NodeJS.ErrnoException;
  if (e && typeof e.code === 'string') {
    if (MESSAGES[e.code]) return MESSAGES[e.code]!;
    if (typeof e.errno === 'number') {
      const m = util.getSystemErrorMap().get(e.errno);
      if (m) return m[1].charAt(0).toUpperCase() + m[1].slice(1);
    }
  }
  return e && typeof e.message === 'string' ? e.message : String(err);
}
