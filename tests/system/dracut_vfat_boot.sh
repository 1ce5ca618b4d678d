#!/usr/bin/env bash
# Issue 11: Debian 12 with dracut, /boot on a vfat filesystem of its own
# (fstab names it by its volume serial, as a systemd-boot ESP is), booted
# as installed and through initoverlayfs: the mini initramfs mounts the
# vfat read-only (vfat and its codepages in the load plan), and the real
# system mounts it read-write from fstab once the early boot let it go.
# Usage: dracut_vfat_boot.sh PATH/TO/initoverlayfs-install [all|original|initoverlayfs]
export SYSTEM_LAYOUT=vfat
. "$(dirname "$0")/lib/case.sh"
# The classic boot of this layout proves nothing of ours: by default only
# the converted one (a second argument "all" boots both).
system_test_main dracut "$1" "${2:-initoverlayfs}"
