#!/usr/bin/env bash
# onfailure shell once the image is mounted, before the switch (a test seam
# fails the boot right after the mount): the image's own /bin/sh runs,
# chrooted into the new root, with /dev, /proc and /sys there, and its
# binds stay out of PID 1's mounts. The mini initramfs has no shell, so a
# shell that runs at all is the image's. The commands come on the console
# (stdin); the last one powers the namespace off.
. "$(dirname "$0")/common.inc"
# A shell that never runs leaves PID 1 halted or waiting: killed after 20 s.
PID1_TIMEOUT=20
make_payload "$SCRATCH/payload"
mkfs.erofs "$SCRATCH/payload.erofs" "$SCRATCH/payload" >/dev/null
make_bootfs "$SCRATCH/payload.erofs" initoverlayfs-test.img
make_mini "bootfs LABEL=$BOOT_LABEL
fs initoverlayfs-test.img
timeout 10
onfailure shell"
PID1_ENV=INITOVERLAYFS_TEST_FAIL=after-mount run_pid1 <<'CMDS'
echo "IMAGE-SHELL-RAN ppid=$PPID"
echo "payload-file=$(cat /etc/payload-file)"
test -e /etc/initoverlayfs.conf || echo "mini-config-hidden=yes"
test -c /dev/null && echo "dev-null=yes"
echo "pid1-comm=$(cat /proc/1/comm)"
test -d /sys/kernel && echo "sys=yes"
echo "own-dev-mount=$(grep -c ' /dev ' /proc/self/mountinfo)"
echo "binds-in-pid1=$(grep -c ' /sysroot/\(dev\|proc\|sys\|run\) ' /proc/1/mountinfo)"
echo "sysroot-in-pid1=$(grep -c ' /sysroot ' /proc/1/mountinfo)"
busybox poweroff -f
CMDS
expect_log "test seam: a failure once the image is mounted"
expect_log "failure action: shell"
expect_log "failure shell: the image's /bin/sh, chrooted into its root"
expect_out "IMAGE-SHELL-RAN ppid=1"
expect_out "payload-file=payload-file-content"
expect_out "mini-config-hidden=yes"
expect_out "dev-null=yes"
expect_out "pid1-comm=init"
expect_out "sys=yes"
expect_out "own-dev-mount=1"
expect_out "binds-in-pid1=0"
expect_out "sysroot-in-pid1=1"
expect_out_absent PAYLOAD-INIT-RAN
[ "$RC" = 130 ] || die "expected the shell's poweroff -f to end the namespace (exit 130), got $RC"
echo "PASS: $TEST_NAME"
