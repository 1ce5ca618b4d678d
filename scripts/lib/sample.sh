# The demo's sample (issue 12): the content of a desktop's generic
# initramfs at the size desktop users now have, made from real Debian 12
# files without installing a system:
# - the 6.12 kernel's modules of a generic (no-hostonly) image: storage,
#   USB, input, GPU (amdgpu, radeon, nouveau, i915...), filesystems,
#   crypto, kept compressed (.ko.xz) as Debian ships them, with depmod's
#   index for that subset;
# - the GPU firmware of Debian's non-free-firmware component
#   (firmware-amd-graphics, firmware-nvidia-gsp, firmware-misc-nonfree),
#   as a desktop's image carries it;
# - systemd, udev, kmod, util-linux, e2fsprogs, cryptsetup and their
#   libraries, unpacked from their Debian packages.
# The packages are downloaded once (about 90 MB) into
# $IOFS_CACHE/demo (default /var/cache/initoverlayfs-tests/demo), through
# a sources list of its own: the host's sources are not changed.
#
# The sample's /init is a busybox script that does the reading a boot on
# the demo's VM does: it reads, in full, the programs an initrd runs
# (systemd, udevd, udevadm, kmod, mount, e2fsck), the libraries they link,
# the modules that VM needs (virtio_blk, ext4 with its dependencies) and
# kmod's index files, and nothing else: no GPU, so no GPU module and no
# firmware is read, as on a machine whose hardware wants none of them.
# It prints the uptime when it starts and when the reads are done.

_sample_cache() { printf '%s/demo\n' "${IOFS_CACHE:-/var/cache/initoverlayfs-tests}"; }

SAMPLE_FIRMWARE_PKGS=(firmware-amd-graphics firmware-nvidia-gsp firmware-misc-nonfree)
SAMPLE_USER_PKGS=(
	systemd libsystemd-shared libsystemd0 udev libudev1 libc6 kmod libkmod2
	util-linux mount libblkid1 libmount1 libsmartcols1 libuuid1 e2fsprogs libext2fs2 libcom-err2 libss2
	cryptsetup-bin libcryptsetup12 libdevmapper1.02.1 dmsetup libargon2-1 libjson-c5
	libssl3 libgcrypt20 libgpg-error0 libcap2 libseccomp2 libacl1 libselinux1 libpcre2-8-0
	libpam0g libcrypt1 liblz4-1 liblzma5 libzstd1 libaudit1 libcap-ng0 libapparmor1 libip4tc2
	bash libtinfo6 coreutils
)
# The kernel's module directories a generic image carries.
SAMPLE_MODULE_DIRS=(
	drivers/gpu drivers/ata drivers/scsi drivers/nvme drivers/block drivers/md drivers/usb
	drivers/mmc drivers/virtio drivers/hid drivers/input drivers/i2c drivers/video drivers/char
	drivers/platform fs crypto lib
)

# _sample_fetch: the packages' .deb files in the cache, downloaded if missing.
_sample_fetch() {
	local cache
	cache=$(_sample_cache)
	local want=("${SAMPLE_FIRMWARE_PKGS[@]}" "${SAMPLE_USER_PKGS[@]}") p missing=()
	for p in "${want[@]}"; do
		compgen -G "$cache/debs/${p}_*.deb" >/dev/null || missing+=("$p")
	done
	((${#missing[@]})) || return 0
	mkdir -p "$cache/debs" "$cache/lists/partial" "$cache/archives/partial"
	# The host's own mirror, with the non-free-firmware component.
	local uri
	uri=$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n 1)
	[[ -n $uri ]] || uri=$(awk '$1 == "deb" && $3 == "bookworm" { print $2; exit }' /etc/apt/sources.list 2>/dev/null)
	[[ -n $uri ]] || uri=http://deb.debian.org/debian
	printf 'deb %s bookworm main non-free-firmware\n' "$uri" >"$cache/sources.list"
	# An empty dpkg status: what the host has installed (perhaps newer, from
	# bookworm-security) does not decide which version is downloaded.
	: >"$cache/status"
	local -a apt=(apt-get -q -o "Dir::Etc::SourceList=$cache/sources.list" -o Dir::Etc::SourceParts=/dev/null
		-o "Dir::State::status=$cache/status"
		-o "Dir::State::Lists=$cache/lists" -o "Dir::Cache::Archives=$cache/archives"
		-o APT::Sandbox::User=root)
	echo "sample: downloading ${#missing[@]} packages into $cache/debs" >&2
	"${apt[@]}" update >"$cache/apt.log" 2>&1 || { cat "$cache/apt.log" >&2; return 1; }
	(cd "$cache/debs" && "${apt[@]}" download "${missing[@]}") >>"$cache/apt.log" 2>&1 ||
		{ cat "$cache/apt.log" >&2; return 1; }
}

# desktop_sample DIR KVER MODDIR: makes the sample in DIR (which must not
# exist); prints nothing on stdout.
desktop_sample() {
	local dir=$1 kver=$2 moddir=$3 cache deb d
	cache=$(_sample_cache)
	_sample_fetch || return 1
	mkdir -p "$dir" || return 1
	for deb in "$cache"/debs/*.deb; do
		dpkg-deb -x "$deb" "$dir" || return 1
	done
	rm -rf -- "$dir/usr/share/doc" "$dir/usr/share/man" "$dir/usr/share/locale" "$dir/usr/share/info"
	# The modules, as shipped, and depmod's index for this subset.
	local mods=$dir/lib/modules/$kver
	mkdir -p "$mods/kernel"
	for d in "${SAMPLE_MODULE_DIRS[@]}"; do
		mkdir -p "$mods/kernel/$(dirname "$d")"
		cp -a -- "$moddir/kernel/$d" "$mods/kernel/$d" || return 1
	done
	cp -- "$moddir"/modules.{order,builtin,builtin.modinfo} "$mods/" || return 1
	depmod -b "$dir" "$kver" || return 1
	# The early-boot userland the script below needs: busybox.
	mkdir -p "$dir"/{bin,sbin,dev,proc,sys,run,tmp,etc,boot}
	cp -- "$(command -v busybox)" "$dir/bin/busybox" || return 1
	ln -sf busybox "$dir/bin/sh"
	_sample_reads "$dir" "$kver" >"$dir/etc/boot-reads" || return 1
	cat >"$dir/init" <<'INIT'
#!/bin/busybox sh
# The sample's init: the reads of a boot on this VM, then the figures.
/bin/busybox mount -t proc proc /proc 2>/dev/null
echo "SAMPLE-INIT-RAN uptime=$(/bin/busybox cut -d' ' -f1 /proc/uptime)"
while read -r f; do /bin/busybox cat "/$f" >/dev/null; done </etc/boot-reads
echo "SAMPLE-READS-DONE uptime=$(/bin/busybox cut -d' ' -f1 /proc/uptime)"
echo "SAMPLE-MEM $(/bin/busybox grep MemAvailable /proc/meminfo)"
/bin/busybox poweroff -f
INIT
	chmod 755 "$dir/init"
}

# _sample_reads DIR KVER: the files the sample's init reads, relative to
# DIR: the programs, their shared libraries (DT_NEEDED, recursively, found
# in DIR), the modules of the VM's disk and root filesystem with their
# dependencies from the sample's modules.dep, and kmod's index files.
_sample_reads() {
	local dir=$1 kver=$2 f lib path
	local -a queue=(lib/systemd/systemd lib/systemd/systemd-udevd bin/udevadm bin/kmod bin/mount sbin/e2fsck)
	local -A seen=()
	while ((${#queue[@]})); do
		f=${queue[0]}
		queue=("${queue[@]:1}")
		[[ -n ${seen[$f]:-} ]] && continue
		[[ -f $dir/$f ]] || { echo "sample: $f is not in the sample" >&2; return 1; }
		seen[$f]=1
		printf '%s\n' "$f"
		for lib in $(readelf -d "$dir/$f" 2>/dev/null | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
			path=$(cd "$dir" && find lib usr/lib -name "$lib" \( -type f -o -type l \) 2>/dev/null | head -n 1)
			[[ -n $path ]] || { echo "sample: $lib (needed by $f) is not in the sample" >&2; return 1; }
			path=$(cd "$dir" && realpath --relative-to=. -- "$path")
			queue+=("$path")
		done
	done
	local mods=lib/modules/$kver m
	for m in virtio_blk ext4; do
		grep -E "(^|/)$m\.ko(\.xz)?:" "$dir/$mods/modules.dep" | tr ' :' '\n\n' | sed '/^$/d' |
			sed "s|^|$mods/|"
	done | sort -u
	for f in modules.dep.bin modules.alias.bin modules.symbols.bin modules.builtin.bin modules.softdep; do
		printf '%s/%s\n' "$mods" "$f"
	done
}
