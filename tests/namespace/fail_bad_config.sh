#!/usr/bin/env bash
# A config that names no boot filesystem, with garbage lines: warnings for
# each bad line, then a clear fatal error. The failure action comes from the
# config even so.
. "$(dirname "$0")/common.inc"
make_mini "$(printf 'fs x.img\nbootfs\x01 nonsense\ntimeout -5\nonfailure poweroff\n')"
run_pid1
expect_log "line 3: bad value '-5' for timeout"
expect_log "no boot filesystem configured (set bootfs in /etc/initoverlayfs.conf or initoverlayfs.bootfs=)"
expect_poweroff
echo "PASS: $TEST_NAME"
