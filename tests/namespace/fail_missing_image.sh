#!/usr/bin/env bash
# The configured image is not on the boot filesystem.
. "$(dirname "$0")/common.inc"
make_bootfs "" unused
make_mini "bootfs LABEL=$BOOT_LABEL
fs initoverlayfs-missing.img
timeout 10
onfailure poweroff"
run_pid1
expect_log "find image /boot/initoverlayfs-missing.img: No such file or directory (errno=2)"
expect_poweroff
echo "PASS: $TEST_NAME"
