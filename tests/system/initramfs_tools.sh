#!/usr/bin/env bash
# Issue 4: Debian 12 whose initramfs initramfs-tools made (the /init shell
# script), booted as installed and through initoverlayfs; /boot on its own disk.
# Usage: initramfs_tools.sh PATH/TO/initoverlayfs-install [all|original|initoverlayfs]
. "$(dirname "$0")/lib/case.sh"
system_test_main initramfs-tools "$@"
