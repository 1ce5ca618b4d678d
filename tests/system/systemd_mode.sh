#!/usr/bin/env bash
# Issue 4: systemd mode on the full system. The dracut-made Debian 12
# initramfs converted with --mode systemd (a mini initramfs with systemd
# and udev, initoverlayfs --systemd as pre-initoverlayfs.service) boots to
# multi-user in the real root with the same assertions as init mode. The
# original initramfs is booted by system.dracut; this boots only the pair.
# Usage: systemd_mode.sh PATH/TO/initoverlayfs-install
. "$(dirname "$0")/lib/case.sh"
SYSTEM_BUILDER_ARGS="--mode systemd" system_test_main dracut "${1:-}" initoverlayfs
