# shellcheck shell=bash
# Prologue of the arm64 tests (issue 17): strict mode and traps, Debian's
# arm64 kernels and busybox (lib/kernels_arm64.sh), the builder and the
# arm64 early-boot program of its build tree, QEMU set to boot arm64.
# Usage: . lib/setup_arm64.sh BUILDER_PATH
#
# Sets A61_MODDIR A61_KERNEL A612_MODDIR A612_KERNEL (Debian 12's 6.1 and
# Debian 13's 6.12, generic arm64 flavour), ARM64_PROGRAM (the build tree's
# aarch64/initoverlayfs), PAYLOAD_BUSYBOX (arm64, for pair_payload) and
# QEMU_ARCH=arm64 (qemu_boot, pair_boot).
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$here/lib/common.sh"
. "$here/lib/kernels.sh"
. "$here/lib/kernels_arm64.sh"
. "$here/lib/qemu.sh"
. "$here/lib/pair.sh"
boot_test_init
[[ $(id -u) == 0 ]] || boot_skip "needs root"
BUILDER=$(realpath "${1:?usage: $0 PATH/TO/initoverlayfs-install}")
ARM64_PROGRAM=$(dirname "$BUILDER")/aarch64/initoverlayfs
[[ -x $ARM64_PROGRAM ]] ||
	boot_fail "no $ARM64_PROGRAM: configure with -DIOFS_ARM64=ON (needs g++-aarch64-linux-gnu and libblkid-dev:arm64, see scripts/install-deps.sh)"
boot_deps_install || boot_fail "could not install the boot-test packages"
if ! command -v qemu-system-aarch64 >/dev/null; then
	_iofs_apt install -y --no-install-recommends qemu-system-arm ||
		boot_fail "could not install qemu-system-arm"
fi
boot_arm64_fetch || boot_fail "could not fetch the arm64 kernels and busybox"
A61_MODDIR=$A61_DIR/lib/modules/$A61_VER
A61_KERNEL=$A61_DIR/boot/vmlinuz-$A61_VER
A612_MODDIR=$A612_DIR/lib/modules/$A612_VER
A612_KERNEL=$A612_DIR/boot/vmlinuz-$A612_VER
PAYLOAD_BUSYBOX=$ARM64_BUSYBOX
QEMU_ARCH=arm64
export PAYLOAD_BUSYBOX QEMU_ARCH
# elf_machine FILE: e_machine of an ELF file, as a number (62 x86-64, 183 AArch64).
elf_machine() { od -An -t u2 -j 18 -N 2 "$1" | tr -d ' '; }
