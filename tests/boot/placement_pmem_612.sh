#!/usr/bin/env bash
# --placement pmem and virtio-pmem on 6.12: the image as persistent memory,
# found by the UUID in its EROFS superblock, mounted with dax=always.
#   pmem:        QEMU's loader puts the file at 1 GiB and memmap=128M!1G
#                makes that range a pmem region (nd_e820 + nd_pmem, loaded
#                on demand from their modaliases).
#   virtio-pmem: the file is a memory backend behind virtio-pmem-pci.
# Also a compressed (lz4hc) pmem image, which goes through the page cache.
. "$(dirname "$0")/lib/setup.sh"
pair_payload "$SCRATCH/payload"
boot_pmem() { # TAG QEMU_MEM CMDLINE QEMU_ARGS...
	local tag=$1 mem=$2 cmdline=$3
	shift 3
	local log=$SCRATCH/$tag.log rc=0
	QEMU_MEM=$mem QEMU_TIMEOUT=240 qemu_boot "$K612_KERNEL" "$SCRATCH/$tag/initramfs-$K612_VER.img" "$log" \
		$cmdline -- "$@" || rc=$?
	[[ $rc != 124 ]] || { console_dump "$log"; boot_fail "$tag: QEMU timed out"; }
	console_reject "$log" 'Kernel panic' "$tag: no kernel panic"
	local uuid
	uuid=$(sed -n 's/^bootfs UUID=//p' "$SCRATCH/$tag.conf")
	console_expect "$log" "initoverlayfs: device: UUID=$uuid is /dev/pmem0 \(erofs\)" "$tag: found by its superblock UUID"
	console_expect "$log" 'initoverlayfs: mount: /dev/pmem0 \(erofs, block device, options dax=always\)' "$tag: mounted from pmem with DAX"
	console_expect "$log" 'PAYLOAD-INIT-RAN pid=1 ' "$tag: payload init ran"
	console_expect "$log" "PAYLOAD-TOKEN $(cat "$SCRATCH/payload/etc/payload-token")" "$tag: payload files intact"
	console_expect "$log" 'PAYLOAD-STAGING 0 mounts' "$tag: staging mounts detached"
	boot_log "$tag: $(grep -ao 'PAYLOAD-INIT-RAN.*' "$log" | tr -d '\r')"
}
build() { # TAG ARGS...
	local tag=$1
	shift
	pair_build "$K612_MODDIR" "$K612_VER" "$SCRATCH/$tag" --rootdir "$SCRATCH/payload" "$@"
	(cd "$SCRATCH" && zstd -dc "$tag/initramfs-$K612_VER.img" | cpio -i --to-stdout --quiet etc/initoverlayfs.conf) >"$SCRATCH/$tag.conf"
	grep -qx 'fs_options dax=always' "$SCRATCH/$tag.conf" || boot_fail "$tag: no dax=always in the config"
	! grep -Eq 'modules .*(ext4|loop|virtio_blk)' "$SCRATCH/$tag.summary" || boot_fail "$tag: disk modules included"
}

build pmem --placement pmem
grep -q 'memmap=128M!ADDR' "$SCRATCH/pmem.summary" || boot_fail "pmem: no bootloader instructions"
boot_pmem pmem 2048 'memmap=128M!0x40000000' \
	-device "loader,file=$(pair_image "$SCRATCH/pmem" "$K612_VER"),addr=0x40000000,force-raw=on"

build pmemz --placement pmem --compression lz4hc
boot_pmem pmemz 2048 'memmap=128M!0x40000000' \
	-device "loader,file=$(pair_image "$SCRATCH/pmemz" "$K612_VER"),addr=0x40000000,force-raw=on"

build vpmem --placement virtio-pmem
img=$(pair_image "$SCRATCH/vpmem" "$K612_VER")
(( $(stat -c %s "$img") % (2 << 20) == 0 )) || boot_fail "virtio-pmem image not 2 MiB aligned"
boot_pmem vpmem '1024,slots=2,maxmem=4G' '' \
	-object "memory-backend-file,id=iofs,mem-path=$img,size=$(stat -c %s "$img"),readonly=on" \
	-device virtio-pmem-pci,memdev=iofs
echo "PASS: $BOOT_TEST_NAME"
