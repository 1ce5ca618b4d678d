#!/usr/bin/env bash
# onfailure reboot: in a PID namespace reboot(RB_AUTOBOOT) ends the
# namespace, its init killed by SIGHUP (reboot_pid_ns()): unshare exits 129.
. "$(dirname "$0")/common.inc"
make_bootfs "" unused
make_mini "bootfs LABEL=$BOOT_LABEL
fs missing.img
onfailure reboot"
run_pid1
expect_log "find image /boot/missing.img: No such file or directory"
expect_log "failure action: reboot"
[ "$RC" = 129 ] || die "expected the reboot failure action (exit 129), got $RC"
echo "PASS: $TEST_NAME"
