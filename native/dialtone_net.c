/*
 * dialtone_net: the two things Node cannot do by itself for the TUN network backend and
 * PPPoE, kept as small as possible (the policy lives in TypeScript, src/native/index.ts):
 *
 *   openTun(name | undefined, tap)  -> { fd, ifname }     /dev/net/tun + TUNSETIFF
 *   openPacket(ifname, ethertype)   -> { fd, mac, ifindex, mtu }   AF_PACKET SOCK_RAW, bound
 *   watch(fd, isPacket, cb)         -> handle   uv_poll on the loop; cb(frame) per frame,
 *                                               cb(undefined, errno) on a read error
 *   write(fd, buffer)               -> 0 or errno (EAGAIN/ENOBUFS: the kernel queue is full)
 *   close(handle)                   stops polling and closes the fd
 *
 * Every fd is non-blocking: reads happen only when uv_poll says the fd is readable, and a
 * write that would block is reported, never waited for (the caller drops and counts).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/if_tun.h>
#include <node_api.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <unistd.h>
#include <uv.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

/* Frames larger than this are truncated by the kernel: 64 KiB covers any TUN MTU and
 * jumbo Ethernet. */
#define FRAME_MAX 65536
/* Frames delivered per wakeup before yielding to the loop (uv_poll is level-triggered,
 * so what is left wakes us again): bounded so one busy device cannot starve the rest. */
#define FRAMES_PER_WAKEUP 256

static unsigned char rx_buf[FRAME_MAX];

#define CHECK(call)                                                        \
  do {                                                                     \
    if ((call) != napi_ok) {                                               \
      napi_throw_error(env, NULL, "dialtone_net: N-API call failed: " #call); \
      return NULL;                                                         \
    }                                                                      \
  } while (0)

static const char *errno_code(int e) {
  switch (e) {
    case EPERM: return "EPERM";
    case EACCES: return "EACCES";
    case ENOENT: return "ENOENT";
    case ENODEV: return "ENODEV";
    case ENXIO: return "ENXIO";
    case EBUSY: return "EBUSY";
    case EEXIST: return "EEXIST";
    case EINVAL: return "EINVAL";
    case EMFILE: return "EMFILE";
    case ENFILE: return "ENFILE";
    case ENOMEM: return "ENOMEM";
    case EAFNOSUPPORT: return "EAFNOSUPPORT";
    case EPROTONOSUPPORT: return "EPROTONOSUPPORT";
    default: return "EUNKNOWN";
  }
}

static napi_value throw_errno(napi_env env, const char *what, int e) {
  char msg[256];
  snprintf(msg, sizeof msg, "%s: %s", what, strerror(e));
  napi_value code, text, err, num;
  napi_create_string_utf8(env, errno_code(e), NAPI_AUTO_LENGTH, &code);
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &text);
  napi_create_error(env, code, text, &err);
  napi_create_int32(env, -e, &num);
  napi_set_named_property(env, err, "errno", num);
  napi_throw(env, err);
  return NULL;
}

static int get_string(napi_env env, napi_value v, char *out, size_t cap, size_t *len) {
  if (napi_get_value_string_utf8(env, v, out, cap, len) != napi_ok) return -1;
  return 0;
}

/* openTun(name?: string, tap: boolean): { fd, ifname } */
static napi_value open_tun(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  char name[IFNAMSIZ + 1] = "";
  bool tap = false;
  if (argc >= 1) {
    napi_valuetype t;
    CHECK(napi_typeof(env, argv[0], &t));
    if (t == napi_string) {
      size_t len = 0;
      if (get_string(env, argv[0], name, sizeof name, &len) != 0 || len >= IFNAMSIZ) {
        napi_throw_range_error(env, "EINVAL", "interface name too long (at most 15 bytes)");
        return NULL;
      }
    }
  }
  if (argc >= 2) CHECK(napi_get_value_bool(env, argv[1], &tap));

  int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return throw_errno(env, "open /dev/net/tun", errno);
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  ifr.ifr_flags = (tap ? IFF_TAP : IFF_TUN) | IFF_NO_PI;
  if (name[0]) memcpy(ifr.ifr_name, name, strlen(name));
  if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
    int e = errno;
    close(fd);
    return throw_errno(env, "ioctl TUNSETIFF", e);
  }
  napi_value res, vfd, vname;
  CHECK(napi_create_object(env, &res));
  CHECK(napi_create_int32(env, fd, &vfd));
  ifr.ifr_name[IFNAMSIZ - 1] = 0;
  CHECK(napi_create_string_utf8(env, ifr.ifr_name, NAPI_AUTO_LENGTH, &vname));
  CHECK(napi_set_named_property(env, res, "fd", vfd));
  CHECK(napi_set_named_property(env, res, "ifname", vname));
  return res;
}

/* openPacket(ifname: string, ethertype: number): { fd, mac, ifindex, mtu } */
static napi_value open_packet(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  char name[IFNAMSIZ + 1] = "";
  size_t len = 0;
  uint32_t ethertype = 0;
  if (argc < 2 || get_string(env, argv[0], name, sizeof name, &len) != 0 || len == 0 || len >= IFNAMSIZ) {
    napi_throw_type_error(env, "EINVAL", "openPacket(ifname, ethertype): bad interface name");
    return NULL;
  }
  if (napi_get_value_uint32(env, argv[1], &ethertype) != napi_ok || ethertype > 0xffff) {
    napi_throw_type_error(env, "EINVAL", "openPacket(ifname, ethertype): bad ethertype");
    return NULL;
  }
  int fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, htons((uint16_t)ethertype));
  if (fd < 0) return throw_errno(env, "socket AF_PACKET", errno);
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  memcpy(ifr.ifr_name, name, len);
  if (ioctl(fd, SIOCGIFINDEX, &ifr) < 0) {
    int e = errno;
    close(fd);
    return throw_errno(env, "ioctl SIOCGIFINDEX", e);
  }
  int ifindex = ifr.ifr_ifindex;
  if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0) {
    int e = errno;
    close(fd);
    return throw_errno(env, "ioctl SIOCGIFHWADDR", e);
  }
  unsigned char mac[6];
  memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
  if (ioctl(fd, SIOCGIFMTU, &ifr) < 0) {
    int e = errno;
    close(fd);
    return throw_errno(env, "ioctl SIOCGIFMTU", e);
  }
  int mtu = ifr.ifr_mtu;
  struct sockaddr_ll sll;
  memset(&sll, 0, sizeof sll);
  sll.sll_family = AF_PACKET;
  sll.sll_protocol = htons((uint16_t)ethertype);
  sll.sll_ifindex = ifindex;
  if (bind(fd, (struct sockaddr *)&sll, sizeof sll) < 0) {
    int e = errno;
    close(fd);
    return throw_errno(env, "bind AF_PACKET", e);
  }
  napi_value res, v;
  CHECK(napi_create_object(env, &res));
  CHECK(napi_create_int32(env, fd, &v));
  CHECK(napi_set_named_property(env, res, "fd", v));
  CHECK(napi_create_buffer_copy(env, 6, mac, NULL, &v));
  CHECK(napi_set_named_property(env, res, "mac", v));
  CHECK(napi_create_int32(env, ifindex, &v));
  CHECK(napi_set_named_property(env, res, "ifindex", v));
  CHECK(napi_create_int32(env, mtu, &v));
  CHECK(napi_set_named_property(env, res, "mtu", v));
  return res;
}

typedef struct {
  napi_env env;
  uv_poll_t poll;
  int fd;
  bool is_packet;
  bool closing;    /* close() or the finalizer ran: no more callbacks */
  bool uv_closed;  /* uv_close's callback ran */
  bool finalized;  /* the JS handle was collected */
  napi_ref cb;
  napi_ref resource;
  napi_async_context ctx;
} device_t;

static void maybe_free(device_t *d) {
  if (d->uv_closed && d->finalized) free(d);
}

static void on_uv_closed(uv_handle_t *h) {
  device_t *d = (device_t *)h->data;
  d->uv_closed = true;
  maybe_free(d);
}

static void device_close(napi_env env, device_t *d) {
  if (d->closing) return;
  d->closing = true;
  uv_poll_stop(&d->poll);
  close(d->fd);
  d->fd = -1;
  if (d->cb) {
    napi_delete_reference(env, d->cb);
    d->cb = NULL;
  }
  if (d->ctx) {
    napi_async_destroy(env, d->ctx);
    d->ctx = NULL;
  }
  if (d->resource) {
    napi_delete_reference(env, d->resource);
    d->resource = NULL;
  }
  uv_close((uv_handle_t *)&d->poll, on_uv_closed);
}

static void call_js(device_t *d, napi_value cb, int argc, napi_value *argv) {
  napi_env env = d->env;
  napi_value undef, ignored;
  napi_get_undefined(env, &undef);
  if (napi_call_function(env, undef, cb, (size_t)argc, argv, &ignored) == napi_pending_exception) {
    napi_value err;
    napi_get_and_clear_last_exception(env, &err);
    napi_fatal_exception(env, err);
  }
}

static void on_readable(uv_poll_t *h, int status, int events) {
  device_t *d = (device_t *)h->data;
  if (d->closing) return;
  napi_env env = d->env;
  napi_handle_scope outer;
  napi_open_handle_scope(env, &outer);
  napi_value resource, cb;
  napi_get_reference_value(env, d->resource, &resource);
  napi_callback_scope scope;
  napi_open_callback_scope(env, resource, d->ctx, &scope);
  napi_get_reference_value(env, d->cb, &cb);

  int stop_errno = 0;
  if (status < 0) {
    stop_errno = -status;
  } else {
    for (int n = 0; n < FRAMES_PER_WAKEUP && !d->closing; n++) {
      ssize_t got;
      if (d->is_packet) {
        struct sockaddr_ll from;
        socklen_t fl = sizeof from;
        got = recvfrom(d->fd, rx_buf, sizeof rx_buf, 0, (struct sockaddr *)&from, &fl);
        /* Our own transmissions are never for us (only ETH_P_ALL sockets see them, but
         * a caller may bind that). */
        if (got >= 0 && from.sll_pkttype == PACKET_OUTGOING) continue;
      } else {
        got = read(d->fd, rx_buf, sizeof rx_buf);
      }
      if (got < 0) {
        int e = errno;
        if (e == EAGAIN || e == EWOULDBLOCK) break;
        if (e == EINTR) continue;
        napi_handle_scope s;
        napi_open_handle_scope(env, &s);
        napi_value argv[2];
        napi_get_undefined(env, &argv[0]);
        napi_create_int32(env, e, &argv[1]);
        call_js(d, cb, 2, argv);
        napi_close_handle_scope(env, s);
        /* Errors that say the fd itself is unusable end polling (a level-triggered poll
         * would spin); ENETDOWN and friends are reported once per occurrence and reading
         * goes on. */
        if (e == EBADF || e == EFAULT || e == EINVAL || e == EBADFD) stop_errno = e;
        break;
      }
      napi_handle_scope s;
      napi_open_handle_scope(env, &s);
      napi_value frame;
      if (napi_create_buffer_copy(env, (size_t)got, rx_buf, NULL, &frame) == napi_ok) {
        call_js(d, cb, 1, &frame);
      }
      napi_close_handle_scope(env, s);
    }
  }
  if (stop_errno && !d->closing) {
    uv_poll_stop(&d->poll);
    if (status < 0) {
      napi_value argv[2];
      napi_get_undefined(env, &argv[0]);
      napi_create_int32(env, stop_errno, &argv[1]);
      call_js(d, cb, 2, argv);
    }
  }
  napi_close_callback_scope(env, scope);
  napi_close_handle_scope(env, outer);
}

static void finalize_device(napi_env env, void *data, void *hint) {
  device_t *d = (device_t *)data;
  d->finalized = true;
  if (!d->closing) device_close(env, d);
  maybe_free(d);
}

/* watch(fd: number, isPacket: boolean, cb: (frame?: Buffer, errno?: number) => void): handle */
static napi_value watch(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t fd = -1;
  bool is_packet = false;
  napi_valuetype t = napi_undefined;
  if (argc < 3 || napi_get_value_int32(env, argv[0], &fd) != napi_ok || fd < 0 ||
      napi_get_value_bool(env, argv[1], &is_packet) != napi_ok ||
      napi_typeof(env, argv[2], &t) != napi_ok || t != napi_function) {
    napi_throw_type_error(env, "EINVAL", "watch(fd, isPacket, callback): bad arguments");
    return NULL;
  }
  uv_loop_t *loop;
  CHECK(napi_get_uv_event_loop(env, &loop));
  device_t *d = calloc(1, sizeof *d);
  if (!d) return throw_errno(env, "watch", ENOMEM);
  d->env = env;
  d->fd = fd;
  d->is_packet = is_packet;
  int rc = uv_poll_init(loop, &d->poll, fd);
  if (rc < 0) {
    free(d);
    return throw_errno(env, "uv_poll_init", -rc);
  }
  d->poll.data = d;
  napi_value resource, name, handle;
  CHECK(napi_create_object(env, &resource));
  CHECK(napi_create_string_utf8(env, "dialtone:net-device", NAPI_AUTO_LENGTH, &name));
  CHECK(napi_async_init(env, resource, name, &d->ctx));
  CHECK(napi_create_reference(env, resource, 1, &d->resource));
  CHECK(napi_create_reference(env, argv[2], 1, &d->cb));
  rc = uv_poll_start(&d->poll, UV_READABLE, on_readable);
  if (rc < 0) {
    d->finalized = true;
    device_close(env, d);
    return throw_errno(env, "uv_poll_start", -rc);
  }
  CHECK(napi_create_external(env, d, finalize_device, NULL, &handle));
  return handle;
}

/* write(fd: number, frame: Buffer): 0 | errno. Never blocks: EAGAIN/ENOBUFS mean the
 * kernel's queue is full and the caller drops the frame. */
static napi_value write_frame(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t fd = -1;
  void *data = NULL;
  size_t len = 0;
  if (argc < 2 || napi_get_value_int32(env, argv[0], &fd) != napi_ok || fd < 0 ||
      napi_get_buffer_info(env, argv[1], &data, &len) != napi_ok) {
    napi_throw_type_error(env, "EINVAL", "write(fd, buffer): bad arguments");
    return NULL;
  }
  int e = 0;
  for (int tries = 0; tries < 2; tries++) {
    ssize_t n = write(fd, data, len);
    if (n >= 0) {
      e = 0;
      break;
    }
    e = errno;
    if (e != EINTR) break;
  }
  napi_value res;
  CHECK(napi_create_int32(env, e, &res));
  return res;
}

/* close(handle): stop polling and close the fd; idempotent. */
static napi_value close_device(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  void *data = NULL;
  if (argc < 1 || napi_get_value_external(env, argv[0], &data) != napi_ok || !data) {
    napi_throw_type_error(env, "EINVAL", "close(handle): bad handle");
    return NULL;
  }
  device_close(env, (device_t *)data);
  return NULL;
}

/* closeFd(fd): for an fd that was opened but never watched. */
static napi_value close_fd(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t fd = -1;
  if (argc >= 1 && napi_get_value_int32(env, argv[0], &fd) == napi_ok && fd >= 0) close(fd);
  return NULL;
}

/* mallocTrim(): glibc's malloc_trim(0), giving freed heap pages back to the kernel after a
 * burst (src/runtime/memory-relief.ts); true if memory was released, false if none was or
 * the C library is not glibc. */
static napi_value malloc_trim_js(napi_env env, napi_callback_info info) {
  (void)info;
  int released = 0;
#ifdef __GLIBC__
  released = malloc_trim(0);
#endif
  napi_value result;
  CHECK(napi_get_boolean(env, released != 0, &result));
  return result;
}

/* mallocHold(trim, mmap): glibc's M_TRIM_THRESHOLD and M_MMAP_THRESHOLD. Buffers whose memory
 * V8 frees in batches (each GC frees the slabs of many frames at once) otherwise send the top of
 * the heap back to the kernel, and the next slabs fault it in again page by page: measured, the
 * HDLC destuffing loop took 0.57-1.07 ms/MB into such slabs against 0.18-0.32 with the freed
 * memory kept (src/native/index.ts says when it is applied). True if both were set. */
static napi_value malloc_hold_js(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  uint32_t trim = 0, mmap_at = 0;
  int ok = 0;
  if (argc >= 2 && napi_get_value_uint32(env, argv[0], &trim) == napi_ok &&
      napi_get_value_uint32(env, argv[1], &mmap_at) == napi_ok) {
#ifdef __GLIBC__
    ok = mallopt(M_TRIM_THRESHOLD, (int)trim) == 1 && mallopt(M_MMAP_THRESHOLD, (int)mmap_at) == 1;
#endif
  }
  napi_value result;
  CHECK(napi_get_boolean(env, ok != 0, &result));
  return result;
}

/* native/hdlc_kernel.c */
napi_value dialtone_hdlc_kernel(napi_env env, napi_callback_info info);

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    {"openTun", NULL, open_tun, NULL, NULL, NULL, napi_default, NULL},
    {"openPacket", NULL, open_packet, NULL, NULL, NULL, napi_default, NULL},
    {"watch", NULL, watch, NULL, NULL, NULL, napi_default, NULL},
    {"write", NULL, write_frame, NULL, NULL, NULL, napi_default, NULL},
    {"close", NULL, close_device, NULL, NULL, NULL, napi_default, NULL},
    {"closeFd", NULL, close_fd, NULL, NULL, NULL, napi_default, NULL},
    {"mallocTrim", NULL, malloc_trim_js, NULL, NULL, NULL, napi_default, NULL},
    {"mallocHold", NULL, malloc_hold_js, NULL, NULL, NULL, napi_default, NULL},
    {"hdlcKernel", NULL, dialtone_hdlc_kernel, NULL, NULL, NULL, napi_default, NULL},
  };
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok) return NULL;
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
