#!/usr/bin/env bash
# Issue 12, the fat workload: Debian 12's generic dracut image plus the GPU
# drivers (amdgpu, radeon, nouveau, i915) and their firmware from
# non-free-firmware, the size a desktop's initramfs has; booted as installed
# and through initoverlayfs; /boot on its own disk.
# Usage: fat.sh PATH/TO/initoverlayfs-install [all|original|initoverlayfs]
. "$(dirname "$0")/lib/case.sh"
system_test_main dracut-fat "$@"
