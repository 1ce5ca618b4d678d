#!/usr/bin/env bash
# onfailure halt: PID 1 stays up and repeats the cause every 10 s, until
# something else ends it (here timeout(1) after 12 s).
. "$(dirname "$0")/common.inc"
make_bootfs "" unused
make_mini "bootfs LABEL=$BOOT_LABEL
fs missing.img
onfailure halt"
echo "initoverlayfs-test: begin $RUN_ID" > /dev/kmsg
set +e
# unshare ignores SIGTERM while it waits and PID 1 of the namespace
# ignores signals it has no handler for: SIGKILL the parent, and
# --kill-child passes SIGKILL on to the namespace's init.
timeout -s KILL 12 unshare --kill-child --mount --pid --fork --propagation private "$(command -v chroot)" "$MINI" /init
RC=$?
set -e
LOG=$(dmesg | sed -n "/initoverlayfs-test: begin $RUN_ID/,\$p" | grep 'initoverlayfs:' || true)
printf '%s\n' "--- kernel log (rc=$RC) ---" "$LOG"
[ "$RC" = 137 ] || die "the program did not stay up (exit $RC)"
expect_log "failure action: halt"
expect_log "halted: find image /boot/missing.img: No such file or directory"
echo "PASS: $TEST_NAME"
