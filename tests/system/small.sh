#!/usr/bin/env bash
# Issue 12, the small workload: Debian 12 whose initramfs-tools image is
# host-only (MODULES=list with the guest's root drivers, as MODULES=dep
# would make it on the machine itself), booted as installed and through
# initoverlayfs; /boot on its own disk.
# Usage: small.sh PATH/TO/initoverlayfs-install [all|original|initoverlayfs]
. "$(dirname "$0")/lib/case.sh"
system_test_main initramfs-tools-dep "$@"
