#!/usr/bin/env bash
# The image holds no init at all: the switch happens, then nothing can run.
. "$(dirname "$0")/common.inc"
mkdir -p "$SCRATCH/payload/etc"
echo hello > "$SCRATCH/payload/etc/hello"
mkfs.erofs "$SCRATCH/payload.erofs" "$SCRATCH/payload" >/dev/null
make_bootfs "$SCRATCH/payload.erofs" noinit.img
make_mini "bootfs LABEL=$BOOT_LABEL
fs noinit.img
onfailure poweroff"
run_pid1
expect_log "no init could be run in the new root; tried "
expect_log "/init (No such file or directory), /sbin/init (No such file or directory), /etc/init (No such file or directory), /bin/init (No such file or directory), /bin/sh (No such file or directory)"
expect_poweroff
echo "PASS: $TEST_NAME"
