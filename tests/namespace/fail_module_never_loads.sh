#!/usr/bin/env bash
# A module load that never returns (a test seam hangs the load, as
# finit_module does when a driver's probe hangs): PID 1 waits module_timeout,
# names the module still loading, and takes the failure action before
# anything irreversible (the image is never mounted). It must not block in
# joining the stuck thread.
. "$(dirname "$0")/common.inc"
make_payload "$SCRATCH/payload"
mkfs.erofs "$SCRATCH/payload.erofs" "$SCRATCH/payload" >/dev/null
make_bootfs "$SCRATCH/payload.erofs" image.img
make_mini "bootfs LABEL=$BOOT_LABEL
fs image.img
module_timeout 2s
onfailure poweroff"
# One module in the plan, loaded at start: the seam hangs instead of loading it.
echo "kernel/fs/erofs/erofs.ko" >"$MINI/etc/initoverlayfs.modules"
start=$SECONDS
PID1_ENV=INITOVERLAYFS_TEST_HANG=module-thread run_pid1
expect_log "modules not loaded within 2000 ms (module_timeout): erofs (loading)"
expect_poweroff
expect_no_log "mount: "
# Well inside run_pid1's 60 s limit: the wait was bounded.
((SECONDS - start < 30)) || die "took $((SECONDS - start)) s"
echo "PASS: $TEST_NAME"
