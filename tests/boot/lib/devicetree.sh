# shellcheck shell=bash
# Device trees for qemu-system-aarch64's virt machine, as a board's
# bootloader would hand them to the kernel (issue 17).
#
#   virt_dtb OUT_DTB NODES   the machine's own tree (-machine virt,dumpdtb, for
#                            QEMU_MEM and QEMU_CPU as qemu_boot uses them) with
#                            NODES (device tree source) added at its root;
#                            boot with -dtb OUT_DTB
#   pmem_region_node ADDR SIZE
#                            prints a root node compatible = "pmem-region"
#                            for [ADDR, ADDR + SIZE) (of_pmem makes it a
#                            persistent-memory region, nd_pmem /dev/pmemN)
#
# QEMU rewrites /memory from -m, so a region inside the RAM needs mem= on the
# kernel command line to stay out of the kernel's memory, as a board's
# /memory node would leave it out. Needs dtc (device-tree-compiler).

virt_dtb() {
	local out=$1 nodes=$2 base
	base=$(mktemp -d "${TMPDIR:-/tmp}/iofs-dtb.XXXXXX") || return 1
	if ! qemu-system-aarch64 -machine "virt,dumpdtb=$base/virt.dtb" -cpu "${QEMU_CPU:-cortex-a57}" \
		-m "${QEMU_MEM:-1024}" -smp "${QEMU_SMP:-1}" -nographic -nic none >/dev/null 2>&1 &&
		[[ ! -s $base/virt.dtb ]]; then
		printf 'devicetree: qemu-system-aarch64 dumpdtb made no device tree\n' >&2
		rm -rf -- "$base"
		return 1
	fi
	if ! dtc -q -I dtb -O dts -o "$base/virt.dts" "$base/virt.dtb" ||
		! printf '/ {\n%s\n};\n' "$nodes" >>"$base/virt.dts" ||
		! dtc -q -I dts -O dtb -o "$out" "$base/virt.dts"; then
		printf 'devicetree: dtc failed on the virt tree with: %s\n' "$nodes" >&2
		rm -rf -- "$base"
		return 1
	fi
	rm -rf -- "$base"
}

pmem_region_node() {
	local addr=$1 size=$2
	printf 'pmem@%x { compatible = "pmem-region"; reg = <0x%x 0x%x 0x%x 0x%x>; };\n' \
		"$addr" $((addr >> 32)) $((addr & 0xffffffff)) $((size >> 32)) $((size & 0xffffffff))
}
