#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Smoke test of the boot-test infrastructure: both cached Debian kernels boot
# a busybox initramfs under QEMU/TCG, load the modules needed to reach a
# virtio disk (resolved from modules.dep, so the same code serves a kernel
# where virtio_pci is built in and one where it is a module), see /dev/vda,
# read the label, UUID and a per-run token from an ext4 image made by
# disk_ext4_make, and power off, which must end QEMU.
#
# Wall time on the 2-core Debian 12 test machine (TCG, 1 vCPU, no icount),
# kernels already cached:
#   6.12.117+deb12-amd64   boot, 7 modules, mount, poweroff:  6.4-7.2 s (guest: /init at 4.0 s, done at 4.8 s)
#   6.1.0-56-cloud-amd64   boot, 6 modules, mount, poweroff:  3.9-4.9 s (guest: /init at 2.8 s, done at 3.3 s)
#   whole script, second run (cache warm):                     14-16 s (2.7 s of it resolving packages with apt-cache)
# First run (empty cache) adds the download, unpack and depmod: 32 s in all
# (134 MB of .deb). With QEMU_ICOUNT=1 a bare boot to /init reads 1.99 s (6.12)
# and 1.67 s (6.1-cloud) of guest time every time, at about 2-3x the wall time.
#
# Usage: bash tests/boot/smoke-kernels.sh     (root; KEEP_TMP=1 keeps the logs)

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/lib/common.sh"
. "$here/lib/kernels.sh"
. "$here/lib/qemu.sh"

boot_test_init
[[ $(id -u) == 0 ]] || boot_skip "needs root (device nodes, apt)"

boot_deps_install || boot_fail "could not install the host packages the boot tests need"
boot_kernels_fetch || boot_fail "could not fetch the test kernels"
boot_log "6.12: $K612_PKG"
boot_log "6.1:  $K61_PKG"

# The guest program. Every line it prints that the test checks starts with
# SMOKE- so that kernel messages cannot be mistaken for it.
cat >"$SCRATCH/init" <<'EOF'
#!/bin/sh
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
echo "BOOT-SMOKE-OK $(uname -r)"
echo "SMOKE-UPTIME $(cat /proc/uptime)"
while read -r m; do
	if insmod "/lib/modules/$m"; then
		echo "SMOKE-INSMOD-OK $m"
	else
		echo "SMOKE-INSMOD-FAIL $m"
	fi
done </etc/smoke-modules
# virtio_blk adds the disk from its probe; give it up to 5 s all the same.
i=0
while ! grep -qw vda /proc/partitions && [ $i -lt 50 ]; do
	sleep 0.1
	i=$((i + 1))
done
echo "SMOKE-PARTITIONS-BEGIN"
cat /proc/partitions
echo "SMOKE-PARTITIONS-END"
# ext4 superblock at 1024: s_uuid at +104, s_volume_name at +120.
echo "SMOKE-LABEL $(dd if=/dev/vda bs=1 skip=1144 count=16 2>/dev/null | tr -d '\000')"
echo "SMOKE-UUID $(od -An -tx1 -j1128 -N16 /dev/vda | tr -d ' \n')"
if mount -t ext4 -o ro /dev/vda /mnt; then
	echo "SMOKE-TOKEN $(cat /mnt/smoke-token)"
	umount /mnt
else
	echo "SMOKE-MOUNT-FAIL"
fi
echo "SMOKE-UPTIME-END $(cat /proc/uptime)"
poweroff -f
EOF

# A per-run token on the disk, so that a stale image or log cannot pass.
token=$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
uuid=$(cat /proc/sys/kernel/random/uuid)
label=iofs-smoke
mkdir "$SCRATCH/disk-src"
printf '%s\n' "$token" >"$SCRATCH/disk-src/smoke-token"
disk_ext4_make "$SCRATCH/disk.img" 16 "$label" "$uuid" "$SCRATCH/disk-src" ||
	boot_fail "disk_ext4_make failed"

ere_escape() { sed 's/[][\.*^$+?(){}|/]/\\&/g' <<<"$1"; }

# stage_modules KDIR KVER STAGE: copies the modules that virtio_blk,
# virtio_pci and ext4 need (those not built in), in load order, uncompressed
# (busybox insmod cannot be relied on for .ko.xz), into STAGE/lib/modules and
# lists them in STAGE/etc/smoke-modules. Prints how many.
stage_modules() {
	local kdir=$1 kver=$2 stage=$3 path name n=0
	local -A seen=()
	mkdir -p "$stage/lib/modules" "$stage/etc"
	: >"$stage/etc/smoke-modules"
	while read -r path; do
		name=${path##*/}
		name=${name%.xz}
		[[ -n ${seen[$name]:-} ]] && continue
		seen[$name]=1
		case $path in
		*.ko.xz) xz -dc -- "$path" >"$stage/lib/modules/$name" ;;
		*.ko) cp -- "$path" "$stage/lib/modules/$name" ;;
		*) boot_fail "unexpected module file $path" ;;
		esac
		printf '%s\n' "$name" >>"$stage/etc/smoke-modules"
		n=$((n + 1))
	done < <(modprobe -d "$kdir" -S "$kver" --show-depends -a virtio_blk virtio_pci ext4 |
		awk '$1 == "insmod" { print $2 }')
	printf '%s\n' "$n"
}

# smoke_boot TAG KDIR KVER: the whole check for one kernel.
smoke_boot() {
	local tag=$1 kdir=$2 kver=$3 stage nmod log rc=0
	stage=$SCRATCH/stage-$tag
	log=$SCRATCH/console-$tag.log
	mkdir "$stage"
	nmod=$(stage_modules "$kdir" "$kver" "$stage")
	busybox_initramfs "$SCRATCH/initrd-$tag.cpio.gz" "$SCRATCH/init" "$stage" ||
		boot_fail "$tag: busybox_initramfs failed"

	qemu_boot "$kdir/boot/vmlinuz-$kver" "$SCRATCH/initrd-$tag.cpio.gz" "$log" \
		-- -drive "file=$SCRATCH/disk.img,format=raw,if=virtio" || rc=$?
	if ((rc == 124)); then
		console_dump "$log"
		boot_fail "$tag: QEMU did not end within ${QEMU_TIMEOUT:-180} s (poweroff did not stop it?)"
	fi
	if ((rc != 0)); then
		console_dump "$log"
		boot_fail "$tag: QEMU exited with status $rc"
	fi

	# No ^ anchors: the console is shared with the kernel and the firmware,
	# whose output (escape codes, an asynchronous printk) can precede ours.
	console_reject "$log" 'Kernel panic' "$tag"
	console_expect "$log" "BOOT-SMOKE-OK $(ere_escape "$kver")"$'\r?$' "$tag: /init did not run"
	console_expect "$log" 'SMOKE-UPTIME [0-9]+\.[0-9]+ ' "$tag: no /proc/uptime"
	console_reject "$log" 'SMOKE-INSMOD-FAIL' "$tag: a module did not load"
	console_expect "$log" ' vda'$'\r?$' "$tag: /dev/vda not in /proc/partitions"
	console_expect "$log" "SMOKE-LABEL $label"$'\r?$' "$tag: wrong ext4 label"
	console_expect "$log" "SMOKE-UUID ${uuid//-/}" "$tag: wrong ext4 UUID"
	console_expect "$log" "SMOKE-TOKEN $token" "$tag: token not read back from the ext4 disk"
	console_expect "$log" 'reboot: Power down' "$tag: the guest did not power off"

	local up0 up1
	up0=$(grep -aoE 'SMOKE-UPTIME [0-9.]+' "$log" | awk '{ print $2 }')
	up1=$(grep -aoE 'SMOKE-UPTIME-END [0-9.]+' "$log" | awk '{ print $2 }')
	boot_log "$tag ($kver): PASS in ${QEMU_BOOT_WALL} s wall; guest s at /init: $up0, after $nmod modules + disk: $up1"
}

smoke_boot k612 "$K612_DIR" "$K612_VER"
smoke_boot k61 "$K61_DIR" "$K61_VER"
boot_log "PASS"
