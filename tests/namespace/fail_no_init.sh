#!/usr/bin/env bash
# The image holds no init of its own, only a shell: found before the switch
# (the mini initramfs stays the root), named with every candidate tried, and
# the failure action follows. /bin/sh is no last resort: running it would
# hide the fault behind a prompt nobody asked for.
. "$(dirname "$0")/common.inc"
mkdir -p "$SCRATCH/payload"/{etc,bin}
echo hello > "$SCRATCH/payload/etc/hello"
cp "$BUSYBOX" "$SCRATCH/payload/bin/busybox"
ln -s busybox "$SCRATCH/payload/bin/sh"
mkfs.erofs "$SCRATCH/payload.erofs" "$SCRATCH/payload" >/dev/null
make_bootfs "$SCRATCH/payload.erofs" noinit.img
make_mini "bootfs LABEL=$BOOT_LABEL
fs noinit.img
onfailure poweroff"
run_pid1
# (rdinit= of this machine's kernel command line may come first.)
expect_log "no init could be run in the new root; tried "
expect_log "/init (No such file or directory), /sbin/init (No such file or directory), /etc/init (No such file or directory), /bin/init (No such file or directory)"
expect_no_log "/bin/sh"
expect_no_log "switch: "
expect_poweroff
echo "PASS: $TEST_NAME"
