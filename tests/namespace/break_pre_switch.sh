#!/usr/bin/env bash
# break pre-switch (initoverlayfs.break on the kernel command line; the
# config file here, as the test cannot set the command line): once the
# image is mounted, its own shell runs in the new root; when it exits the
# boot goes on and the image's /init runs as PID 1. A file the shell writes
# into the new root is there for that init. The commands come on the
# console (stdin); end of input ends the shell.
. "$(dirname "$0")/common.inc"
# A shell that never runs leaves PID 1 halted or waiting: killed after 20 s.
PID1_TIMEOUT=20
make_payload "$SCRATCH/payload"
cat >> "$SCRATCH/payload/init" <<'MORE'
echo "break-file=$(cat /etc/written-in-break 2>/dev/null)"
MORE
mkfs.erofs "$SCRATCH/payload.erofs" "$SCRATCH/payload" >/dev/null
make_bootfs "$SCRATCH/payload.erofs" initoverlayfs-test.img
make_mini "bootfs LABEL=$BOOT_LABEL
fs initoverlayfs-test.img
timeout 10
onfailure poweroff
break pre-switch"
run_pid1 <<'CMDS'
echo "BREAK-SHELL-RAN ppid=$PPID"
echo "payload-file=$(cat /etc/payload-file)"
echo "pid1-comm=$(cat /proc/1/comm)"
echo "from the break shell" > /etc/written-in-break
CMDS
expect_log "break shell: the image's /bin/sh, chrooted into its root"
expect_log "break point pre-switch: the shell exited; going on with the boot"
expect_out "initoverlayfs: break point pre-switch (initoverlayfs.break): everything is mounted and checked."
expect_out "BREAK-SHELL-RAN ppid=1"
expect_out "payload-file=payload-file-content"
expect_out "pid1-comm=init"
expect_out PAYLOAD-INIT-RAN
expect_out PAYLOAD-DONE
expect_out "break-file=from the break shell"
expect_out "pid=1"
expect_no_log "failure action"
# The shell ran before the init, not after it.
[ "$(grep -n BREAK-SHELL-RAN <<<"$OUT" | cut -d: -f1)" -lt "$(grep -n PAYLOAD-INIT-RAN <<<"$OUT" | cut -d: -f1)" ] ||
  die "the break shell did not run before the image's init"
[ "$RC" = 0 ] || die "expected the payload init's exit status 0, got $RC"
echo "PASS: $TEST_NAME"
