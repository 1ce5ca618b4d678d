#!/usr/bin/env bash
# onfailure shell, the image mounted but with neither an init nor a shell
# of its own: the mini initramfs's rescue shell runs. Where the fault is
# found after the switch (the initramfs is being freed then), it runs from
# the file kept open since the mount, in the image's root; where it is
# found before, in the mini initramfs with the image at /sysroot. Either
# way it sees the image's files. Commands on the console (stdin); the last
# powers the namespace off.
. "$(dirname "$0")/common.inc"
# A shell that never runs leaves PID 1 halted or waiting: killed after 20 s.
PID1_TIMEOUT=20
mkdir -p "$SCRATCH/payload/etc"
echo hello-from-the-image > "$SCRATCH/payload/etc/hello"
mkfs.erofs "$SCRATCH/payload.erofs" "$SCRATCH/payload" >/dev/null
make_bootfs "$SCRATCH/payload.erofs" noinit.img
make_mini "bootfs LABEL=$BOOT_LABEL
fs noinit.img
onfailure shell"
add_rescue_shell
run_pid1 <<'CMDS'
echo "RESCUE-SHELL-RAN ppid=$PPID"
echo "image-file=$(cat /etc/hello 2>/dev/null || cat /sysroot/etc/hello)"
poweroff -f
CMDS
expect_log "failure action: shell"
expect_log "failure shell: the mini initramfs's rescue shell"
expect_out "RESCUE-SHELL-RAN ppid=1"
expect_out "image-file=hello-from-the-image"
[ "$RC" = 130 ] || die "expected the shell's poweroff -f to end the namespace (exit 130), got $RC"
echo "PASS: $TEST_NAME"
