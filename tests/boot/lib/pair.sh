# shellcheck shell=bash
# Helpers for the boot tests of initoverlayfs-install's output: a payload
# whose /init reports on the world it woke up in, the pair built for a
# kernel, the ext4 boot disk holding the image, and one QEMU boot.
#
#   pair_payload DIR             busybox payload; /init prints PAYLOAD-* lines
#                                (PAYLOAD_BUSYBOX: whose busybox)
#   pair_build KVER_DIR KVER OUT [builder args...]
#   pair_boot KERNEL MINI DISK LOG [cmdline words...]
#   pair_image OUTDIR KVER       the one image built for KVER in OUTDIR
#
# Needs $BUILDER (path of initoverlayfs-install) and $SCRATCH.

# PAYLOAD_BUSYBOX: the static busybox to put in it (default: this machine's;
# an arm64 one for arm64 pairs).
pair_payload() {
	local dir=$1
	mkdir -p "$dir"/{bin,dev,proc,sys,run,tmp,etc,sbin}
	cp "${PAYLOAD_BUSYBOX:-$(command -v busybox)}" "$dir/bin/busybox"
	local app
	for app in sh cat grep stat poweroff sleep tr ls head mount; do ln -sf busybox "$dir/bin/$app"; done
	echo "payload-content-$RANDOM$RANDOM" >"$dir/etc/payload-token"
	cat >"$dir/init" <<'PAYLOAD'
#!/bin/sh
# Booted as a classic initramfs, nothing is mounted yet.
[ -e /proc/uptime ] || mount -t proc proc /proc
echo "PAYLOAD-INIT-RAN pid=$$ uptime=$(cat /proc/uptime)"
echo "PAYLOAD-ROOT-FSTYPE $(stat -f -c %t /)"
echo "PAYLOAD-STAGING $(grep -c ' /run/initoverlayfs' /proc/mounts) mounts under /run/initoverlayfs"
echo "PAYLOAD-TOKEN $(cat /etc/payload-token)"
echo "PAYLOAD-BOOT $(ls /boot | tr '\n' ' ')"
echo "PAYLOAD-MEM $(grep MemAvailable /proc/meminfo)"
poweroff -f
PAYLOAD
	chmod 755 "$dir/init"
}

# pair_build MODDIR KVER OUTDIR [builder args...]: runs the builder; its
# summary is kept in OUTDIR.summary.
pair_build() {
	local moddir=$1 kver=$2 out=$3
	shift 3
	mkdir -p "$out"
	"$BUILDER" -f --kver "$kver" --moddir "$moddir" --output-dir "$out" \
		--set onfailure=poweroff "$@" >"$out.summary" ||
		{ cat "$out.summary" >&2; boot_fail "initoverlayfs-install $* failed"; }
	cat "$out.summary" >&2
}

# pair_disk SRC_DIR IMG LABEL UUID: the boot disk, an ext4 filesystem
# holding SRC_DIR's files (the image), without the mini initramfs.
pair_disk() {
	local src=$1 img=$2 label=$3 uuid=$4
	local content="$img.content"
	mkdir -p "$content"
	find "$src" -maxdepth 1 -name 'initoverlayfs-*' -exec cp {} "$content/" \;
	disk_ext4_make "$img" 64 "$label" "$uuid" "$content"
}

pair_boot() {
	local kernel=$1 mini=$2 disk=$3 log=$4
	shift 4
	local rc=0
	QEMU_TIMEOUT=${QEMU_TIMEOUT:-240} qemu_boot "$kernel" "$mini" "$log" "$@" -- \
		-drive "file=$disk,format=raw,if=virtio" || rc=$?
	[[ $rc == 124 ]] && { console_dump "$log"; boot_fail "QEMU timed out"; }
	console_reject "$log" 'Kernel panic' "no kernel panic"
	return 0
}

# pair_image OUTDIR KVER: the path of the one image the builder left for
# KVER in OUTDIR, initoverlayfs-KVER-ID.img (ID: the first 8 hex digits of
# its UUID, a new one each build; the earlier images are removed).
pair_image() {
	local found=("$1/initoverlayfs-$2-"[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f].img)
	[[ ${#found[@]} == 1 && -f ${found[0]} ]] || boot_fail "not exactly one image for $2 in $1: ${found[*]}"
	printf '%s\n' "${found[0]}"
}

# re_escape STRING: STRING as a literal inside an extended regex.
re_escape() { printf '%s' "$1" | sed 's/[][\.*^$+?(){}|/]/\\&/g'; }

# pair_image_offset IMAGE FILE OFFSET: the byte offset in IMAGE of byte
# OFFSET of FILE, a file of the tree IMAGE was built from (stored
# uncompressed and contiguously, as mkfs.erofs stores a file without
# compression); fails if FILE is not found whole.
pair_image_offset() {
	python3 - "$1" "$2" "$3" <<'PY'
import sys
img = open(sys.argv[1], 'rb').read(); data = open(sys.argv[2], 'rb').read(); off = int(sys.argv[3])
at = img.find(data[:65536])
assert at >= 0 and img[at:at + len(data)] == data, "file not stored contiguously"
print(at + off)
PY
}

# flip_byte FILE BYTE: inverts one byte of FILE in place.
flip_byte() {
	python3 - "$1" "$2" <<'PY'
import sys
with open(sys.argv[1], 'r+b') as f:
    f.seek(int(sys.argv[2])); b = f.read(1); f.seek(int(sys.argv[2])); f.write(bytes([b[0] ^ 0xff]))
PY
}
