#!/usr/bin/env bash
# Issue 17: --placement pmem on arm64, the region described by the device
# tree as a board's bootloader would, not by memmap= (x86 only): QEMU's
# loader puts the image at 0x78000000, the top 128 MiB of the 1 GiB of RAM,
# and the virt machine's own device tree (dumpdtb) gets a root node
#   pmem@78000000 { compatible = "pmem-region"; reg = <0 0x78000000 0 0x8000000>; };
# of_pmem (loaded on demand from its of: alias) makes it a region, nd_pmem
# /dev/pmem0, found by the UUID in its superblock and mounted dax=always.
# A board's /memory node leaves such a region out; QEMU rewrites /memory
# from -m, so mem=896M keeps the kernel's memory below it instead.
# Two device trees that do not work, as failure boots: the node inside
# /reserved-memory (no device is made for it), and the region left in
# /memory behind a no-map reservation (nd_pmem fails with EEXIST: the
# memory's sections exist already). All on Debian 13's 6.12; Debian 12's
# arm64 6.1 has no FS_DAX, and the builder refuses its pmem pair.
. "$(dirname "$0")/lib/setup_arm64.sh"
command -v dtc >/dev/null || _iofs_apt install -y --no-install-recommends device-tree-compiler ||
	boot_fail "could not install device-tree-compiler (dtc)"
. "$here/lib/devicetree.sh"
pair_payload "$SCRATCH/payload"
addr=0x78000000 size=0x8000000
region=$(pmem_region_node "$addr" "$size")
virt_dtb "$SCRATCH/good.dtb" "$region"
virt_dtb "$SCRATCH/reserved.dtb" "reserved-memory { #address-cells = <2>; #size-cells = <2>; ranges; $region };"
virt_dtb "$SCRATCH/nomap.dtb" "reserved-memory { #address-cells = <2>; #size-cells = <2>; ranges;
	iofs@${addr#0x} { reg = <0x0 $addr 0x0 $size>; no-map; }; }; $region"

# boot_pmem TAG KVER DTB CMDLINE...: the 6.12 pair of out-KVER with the image at addr.
boot_pmem() {
	local tag=$1 kver=$2 tree=$3 rc=0
	shift 3
	QEMU_TIMEOUT=240 qemu_boot "$A612_KERNEL" "$SCRATCH/out-$kver/initramfs-$kver.img" "$SCRATCH/$tag.log" "$@" -- \
		-dtb "$SCRATCH/$tree.dtb" \
		-device "loader,file=$(pair_image "$SCRATCH/out-$kver" "$kver"),addr=$addr,force-raw=on" || rc=$?
	[[ $rc != 124 ]] || { console_dump "$SCRATCH/$tag.log"; boot_fail "$tag: QEMU timed out"; }
	console_reject "$SCRATCH/$tag.log" 'Kernel panic' "$tag: no kernel panic"
}
kver=$A612_VER
pair_build "$A612_MODDIR" "$kver" "$SCRATCH/out-$kver" --rootdir "$SCRATCH/payload" --placement pmem 2>/dev/null
grep -q 'compatible = "pmem-region"' "$SCRATCH/out-$kver.summary" || boot_fail "no device-tree instructions in the summary"
report=$("$BUILDER" --inspect "$SCRATCH/out-$kver/initramfs-$kver.img") || true
grep -Eq '^  on demand, for a device present \([0-9]+\): .*\bof_pmem\b' <<<"$report" ||
	{ printf '%s\n' "$report" >&2; boot_fail "of_pmem not on demand in the load plan"; }
uuid=$(blkid -p -o value -s UUID "$(pair_image "$SCRATCH/out-$kver" "$kver")")
log=$SCRATCH/good.log
boot_pmem good "$kver" good mem=896M
console_reject "$log" 'memmap=' "no memmap="
console_expect "$log" "initoverlayfs: device: UUID=$uuid is /dev/pmem0 \(erofs\)" "found by its superblock UUID on the device tree's region"
console_expect "$log" 'initoverlayfs: mount: /dev/pmem0 \(erofs, block device, options dax=always\)' "mounted from pmem with DAX"
console_expect "$log" 'PAYLOAD-INIT-RAN pid=1 ' "payload init ran"
console_expect "$log" "PAYLOAD-TOKEN $(cat "$SCRATCH/payload/etc/payload-token")" "payload files intact"
console_expect "$log" 'PAYLOAD-STAGING 0 mounts' "staging mounts detached"
console_expect "$log" 'reboot: Power down' "clean poweroff"
boot_log "$kver: $(grep -ao 'initoverlayfs: ready in .*' "$log" | tr -d '\r'), $QEMU_BOOT_WALL s wall"

# Debian 12's arm64 6.1 has no FS_DAX: the builder refuses the pair (its
# /dev/pmem0 would appear, but erofs refuses dax=always at boot).
rc=0
msg=$("$BUILDER" -f --kver "$A61_VER" --moddir "$A61_MODDIR" --output-dir "$SCRATCH" \
	--rootdir "$SCRATCH/payload" --placement pmem 2>&1) || rc=$?
((rc == 1)) && grep -q "error: kernel $A61_VER cannot mount with DAX (CONFIG_FS_DAX is not set in " <<<"$msg" ||
	{ printf '%s\n' "$msg" >&2; boot_fail "$A61_VER: --placement pmem not refused for want of FS_DAX (exit $rc)"; }
boot_log "$A61_VER: refused: ${msg##*error: }"

# The two trees that do not work: no /dev/pmem0, the failure action runs.
expect_no_pmem() { # TAG WHAT
	local log=$SCRATCH/$1.log
	console_expect "$log" "initoverlayfs: boot filesystem UUID=$uuid not found within 3000 ms; block devices seen: none" "$2: no pmem device"
	console_expect "$log" 'initoverlayfs: failure action: poweroff' "$2: failure action"
	console_expect "$log" 'reboot: Power down' "$2: powered off"
	console_reject "$log" 'PAYLOAD-INIT-RAN' "$2: payload must not run"
	boot_log "$2: $(grep -ao 'initoverlayfs: boot filesystem .* not found within [0-9]* ms' "$log"), $QEMU_BOOT_WALL s wall"
}
boot_pmem reserved "$A612_VER" reserved mem=896M initoverlayfs.timeout=3s
console_expect "$SCRATCH/reserved.log" "OF: reserved mem: 0x0*${addr#0x}\.\..* nomap non-reusable pmem@${addr#0x}|OF: reserved mem: .*pmem@${addr#0x}" "reserved-memory: the kernel took the node as a reservation"
expect_no_pmem reserved "pmem-region inside /reserved-memory"
boot_pmem nomap "$A612_VER" nomap initoverlayfs.timeout=3s
console_expect "$SCRATCH/nomap.log" 'nd_pmem namespace0\.0: probe with driver nd_pmem failed with error -17' "no-map reservation in RAM: nd_pmem fails with EEXIST"
expect_no_pmem nomap "pmem-region in RAM behind a no-map reservation"
echo "PASS: $BOOT_TEST_NAME"
