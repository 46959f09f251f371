#!/bin/bash
# PID 1 inside user-mode-linux for the dialtone test harness (see uml.ts).
#
# The root filesystem is the host's / through hostfs, mounted read-only by the
# kernel ("rootfstype=hostfs rootflags=/ ro"). We put an overlay with a tmpfs
# upper layer on top and pivot_root into it, so nothing inside UML writes to the
# host -- except the run directory $DT_RUN (from the kernel command line), which
# is mounted writable through hostfs at the same path.
#
# Job description in $DT_RUN (written by the host):
#   pppd.args   one pppd argument per line, given after "/dev/ttyS0 nodetach"
#   files/      optional tree copied over /etc (e.g. files/ppp/chap-secrets)
#   after.sh    optional script run with bash once ip-up has run
#   wait-exit   optional flag: let pppd end by itself instead of SIGTERM after after.sh
#   job.sh      optional script run with bash INSTEAD of pppd (after.out / after.rc get its
#               output and status); /etc/ppp is prepared all the same
# Results written to $DT_RUN:
#   pppd.out (pppd's stdout/stderr; its logfile is given in pppd.args by the host),
#   ipup.args / ipup.env (what /etc/ppp/ip-up got), ipdown.args,
#   after.out / after.rc, pppd.rc, init.log (timestamps), init.error, init.done
#
# Each exec costs 50-100 ms in UML, so this script uses builtins wherever it can.

export PATH=/usr/sbin:/usr/bin:/sbin:/bin
export LANG=C
umask 022

R="$DT_RUN"
T0=$EPOCHREALTIME
LOG=/dev/console
RUN_MOUNTED=

step() { echo "dt-init: $EPOCHREALTIME $*" >>"$LOG"; }

halt_now() {
    step "halt"
    # hostfs writes go through UML's page cache: flush them before reboot(2),
    # which does not sync by itself.
    sync
    # "systemctl poweroff -ff" (Debian's poweroff) calls reboot(2) at once,
    # without systemd.
    # (Tested: prints "reboot: System halted" and linux.uml exits 0.)
    poweroff -ff >/dev/null 2>&1
    # Untested fallbacks; the host's timeout kills UML in any case.
    echo o >/proc/sysrq-trigger 2>/dev/null
    exit 1
}

fatal() {
    step "FATAL: $*"
    if [ -n "$RUN_MOUNTED" ]; then
        echo "$*" >>"$R/init.error"
    fi
    halt_now
}

[ -n "$R" ] || fatal "DT_RUN not set on the kernel command line"
step "start (DT_RUN=$R)"

# --- 1. overlay over the read-only hostfs root, then pivot_root into it -------
# The UML module tree: the only one under /usr/lib/uml/modules (a bash glob, no
# fork); with several installed, ask /proc which one is ours.
MODS=(/usr/lib/uml/modules/*)
if [ "${#MODS[@]}" -ne 1 ]; then
    mount -t proc proc /proc || fatal "mount /proc"
    read -r REL </proc/sys/kernel/osrelease
    umount /proc
    MODDIR=/usr/lib/uml/modules/$REL
else
    MODDIR=${MODS[0]}
    REL=${MODDIR##*/}
fi
[ -d "$MODDIR" ] || fatal "no UML modules in $MODDIR"

mount -t tmpfs -o mode=0755,size=64m tmpfs /run || fatal "mount tmpfs /run"
# Directories made in the upper layer appear in the merged tree: the pivot_root
# target, the mount point of the run directory and /lib/modules (Debian's /lib
# is a symlink to usr/lib, so the upper layer gets usr/lib/modules).
U=/run/dt/u
mkdir -p $U/.oldroot "$U$R" $U/usr/lib/modules /run/dt/w /run/dt/m || fatal "mkdir overlay dirs"
ln -s "$MODDIR" "$U/usr/lib/modules/$REL" || fatal "module symlink"
insmod "$MODDIR/kernel/fs/overlayfs/overlay.ko" || fatal "insmod overlay"
mount -t overlay overlay -o lowerdir=/,upperdir=$U,workdir=/run/dt/w /run/dt/m \
    || fatal "mount overlay"
cd /run/dt/m || fatal "cd new root"
pivot_root . .oldroot || fatal "pivot_root"
cd /
step "pivoted"

# --- 2. pseudo file systems and the run directory (writable, through hostfs) ---
mount -t proc proc /proc || fatal "mount proc"
# hostfs writes sit in UML's page cache: flush them within 0.2 s, so that logs
# survive when the host kills UML (timeout, stop()).
echo 20 >/proc/sys/vm/dirty_writeback_centisecs
echo 20 >/proc/sys/vm/dirty_expire_centisecs
mount -t devtmpfs devtmpfs /dev || fatal "mount devtmpfs"
mount -t sysfs sysfs /sys
# Not mounted, to save time: devpts (pppd's "pty" option would need it).
# /run through the overlay would show the host's /run: use a fresh tmpfs.
mount -t tmpfs -o mode=0755 tmpfs /run
mount -t hostfs -o "$R" none "$R" || fatal "mount hostfs run dir"
RUN_MOUNTED=1
LOG="$R/init.log"
echo "dt-init: $T0 start" >"$LOG"
step "run dir mounted"

# --- 3. kernel modules, loopback ----------------------------------------------
modprobe ppp_async || fatal "modprobe ppp_async"
# IPv6 only when the job asks (RUN/ipv6): pppd's IPV6CP then configures ppp0 for real.
if [ -e "$R/ipv6" ]; then
    modprobe ipv6 || fatal "modprobe ipv6"
fi
ip link set lo up
step "modules loaded"

# --- 4. /etc: a clean PPP configuration ---------------------------------------
# Debian's options has "auth", "crtscts", "lock"; the host's secrets files have
# entries of their own; ip-pre-up/ipv6-up are run-parts chains (slow in UML).
: >/etc/ppp/options
: >/etc/ppp/chap-secrets
: >/etc/ppp/pap-secrets
rm -rf /etc/ppp/peers /etc/ppp/options.ttyS0 /etc/ppp/ip-pre-up /etc/ppp/ipv6-up \
    /etc/ppp/ipv6-down /etc/ppp/auth-up /etc/ppp/auth-down /root/.ppprc \
    /etc/ppp/ip-up /etc/ppp/ip-down
if [ -d "$R/files" ]; then
    # --preserve=mode: the host gives secrets files mode 600.
    cp -R --preserve=mode "$R/files/." /etc/ || fatal "copying files/ to /etc"
fi

# ip-up: record arguments, tell init (PID 1) with SIGUSR1, record the
# environment. pppd does not wait for ip-up, so the script repeats the signal
# until init has acknowledged it (closes the race between init's check and its
# "wait").
IFS= read -r -d '' IPUP_SCRIPT <<EOF
#!/bin/sh
for a in "\$@"; do printf '%s\n' "\$a"; done >"$R/ipup.args"
env >"$R/ipup.env"
kill -USR1 1
i=0
while [ ! -e /run/dt-ipup-ack ] && [ \$i -lt 100 ]; do
    sleep 0.1
    [ -e /run/dt-ipup-ack ] || kill -USR1 1
    i=\$((i+1))
done
exit 0
EOF
IFS= read -r -d '' IPDOWN_SCRIPT <<EOF
#!/bin/sh
for a in "\$@"; do printf '%s\n' "\$a"; done >"$R/ipdown.args"
exit 0
EOF
# Written with builtins, made executable with a single chmod.
printf '%s' "$IPUP_SCRIPT" >/etc/ppp/ip-up
printf '%s' "$IPDOWN_SCRIPT" >/etc/ppp/ip-down
chmod 755 /etc/ppp/ip-up /etc/ppp/ip-down
if [ -e "$R/ipv6" ]; then
    # ipv6-up: record arguments and environment (after.sh may wait for the file).
    printf '#!/bin/sh\nenv >"%s/ipv6up.env.tmp"\nfor a in "$@"; do printf "%%s\\n" "$a"; done >"%s/ipv6up.args.tmp"\nmv "%s/ipv6up.env.tmp" "%s/ipv6up.env"\nmv "%s/ipv6up.args.tmp" "%s/ipv6up.args"\n' "$R" "$R" "$R" "$R" "$R" "$R" >/etc/ppp/ipv6-up
    chmod 755 /etc/ppp/ipv6-up
fi
step "etc ready"

# --- 5a. a job of its own instead of pppd (job.sh: e.g. chat + slattach for SLIP) ---
# It has /dev/ttyS0 to itself; its output and status are reported as after.out / after.rc.
if [ -f "$R/job.sh" ]; then
    step "job.sh start"
    bash "$R/job.sh" </dev/null >"$R/after.out" 2>&1
    echo $? >"$R/after.rc"
    step "job.sh done"
    : >"$R/init.done"
    halt_now
fi

# --- 5. pppd -----------------------------------------------------------------
ARGS=()
if [ -f "$R/pppd.args" ]; then
    while IFS= read -r line || [ -n "$line" ]; do
        ARGS+=("$line")
    done <"$R/pppd.args"
fi

IPUP=
trap 'IPUP=1; : >/run/dt-ipup-ack' USR1
trap '' HUP INT

pppd /dev/ttyS0 nodetach "${ARGS[@]}" </dev/null >"$R/pppd.out" 2>&1 &
PID=$!
step "pppd started (pid $PID)"

# Wait for ip-up or for pppd to exit.
while [ -z "$IPUP" ] && kill -0 "$PID" 2>/dev/null; do
    wait "$PID"
done

if [ -n "$IPUP" ]; then
    step "ip-up"
    if [ -f "$R/after.sh" ]; then
        step "after.sh start"
        bash "$R/after.sh" </dev/null >"$R/after.out" 2>&1
        echo $? >"$R/after.rc"
        step "after.sh done"
    fi
    if [ ! -e "$R/wait-exit" ] && kill -0 "$PID" 2>/dev/null; then
        step "SIGTERM to pppd"
        kill -TERM "$PID"
    fi
fi

# bash keeps the status of a reaped background job: the last "wait" returns it.
while kill -0 "$PID" 2>/dev/null; do
    wait "$PID"
done
wait "$PID"
RC=$?
echo "$RC" >"$R/pppd.rc"
step "pppd exited ($RC)"
: >"$R/init.done"
halt_now
