#!/usr/bin/env bash
# An exception in a module-loading thread (a test seam throws one: in a real
# boot std::system_error or std::bad_alloc could) must not kill PID 1: the
# loader keeps it as the load's fault, and PID 1 takes the failure action
# with what was thrown, before anything irreversible (the image is never
# mounted).
. "$(dirname "$0")/common.inc"
make_payload "$SCRATCH/payload"
mkfs.erofs "$SCRATCH/payload.erofs" "$SCRATCH/payload" >/dev/null
make_bootfs "$SCRATCH/payload.erofs" image.img
make_mini "bootfs LABEL=$BOOT_LABEL
fs image.img
onfailure poweroff"
# One module in the plan, loaded at start: the seam throws before loading it.
echo "kernel/fs/erofs/erofs.ko" >"$MINI/etc/initoverlayfs.modules"
PID1_ENV=INITOVERLAYFS_TEST_THROW=module-thread run_pid1
expect_log "module thread exception in loading erofs: test seam: a module thread threw"
expect_poweroff
expect_no_log "mount: "
echo "PASS: $TEST_NAME"
