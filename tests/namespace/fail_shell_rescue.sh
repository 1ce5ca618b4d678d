#!/usr/bin/env bash
# onfailure shell with the image missing: the mini initramfs's rescue shell
# (a static busybox, as --rescue-shell puts it there) runs on the console.
# The commands come on its stdin, which is PID 1's console here; the last
# one powers the namespace off, so a shell that did not run (or did not get
# the console) leaves the test to its timeout and no RESCUE-SHELL-RAN.
. "$(dirname "$0")/common.inc"
# A shell that never runs leaves PID 1 halted or waiting: killed after 20 s.
PID1_TIMEOUT=20
make_bootfs "" unused
make_mini "bootfs LABEL=$BOOT_LABEL
fs initoverlayfs-missing.img
timeout 10
onfailure shell"
add_rescue_shell
run_pid1 <<'CMDS'
echo "RESCUE-SHELL-RAN pid=$$ ppid=$PPID"
echo "rescue-sees-config=$(grep -c '^fs initoverlayfs-missing.img' /etc/initoverlayfs.conf)"
echo "rescue-path=[$PATH]"
busybox poweroff -f
CMDS
expect_log "find image /boot/initoverlayfs-missing.img: No such file or directory (errno=2)"
expect_log "failure action: shell"
expect_log "failure shell: the mini initramfs's rescue shell"
expect_out "initoverlayfs: this is the mini initramfs's rescue shell; it starts again when it exits."
expect_out "RESCUE-SHELL-RAN"
# A child of PID 1, not PID 1 itself.
grep -q 'RESCUE-SHELL-RAN pid=[0-9]* ppid=1$' <<<"$OUT" || die "the shell is not a child of PID 1"
expect_out "rescue-sees-config=1"
expect_out "rescue-path=[/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin]"
[ "$RC" = 130 ] || die "expected the shell's poweroff -f to end the namespace (exit 130), got $RC"
echo "PASS: $TEST_NAME"
