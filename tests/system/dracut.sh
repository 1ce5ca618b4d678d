#!/usr/bin/env bash
# Issue 4: Debian 12 whose initramfs dracut made (systemd in the initrd),
# booted as installed and through initoverlayfs; /boot on its own disk.
# Usage: dracut.sh PATH/TO/initoverlayfs-install [all|original|initoverlayfs]
. "$(dirname "$0")/lib/case.sh"
system_test_main dracut "$@"
