# shellcheck shell=bash
# Prologue of each builder boot test: strict mode and traps, the kernels,
# the builder. Usage: . lib/setup.sh BUILDER_PATH
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$here/lib/common.sh"
. "$here/lib/kernels.sh"
. "$here/lib/qemu.sh"
. "$here/lib/pair.sh"
boot_test_init
[[ $(id -u) == 0 ]] || boot_skip "needs root"
BUILDER=$(realpath "${1:?usage: $0 PATH/TO/initoverlayfs-install}")
boot_deps_install || boot_fail "could not install the boot-test packages"
boot_kernels_fetch || boot_fail "could not fetch the test kernels"
K612_MODDIR=$K612_DIR/lib/modules/$K612_VER
K612_KERNEL=$K612_DIR/boot/vmlinuz-$K612_VER
K61_MODDIR=$K61_DIR/lib/modules/$K61_VER
K61_KERNEL=$K61_DIR/boot/vmlinuz-$K61_VER
