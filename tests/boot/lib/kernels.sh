# shellcheck shell=bash
# Real Debian kernels for the boot tests, downloaded (never installed on the
# host), unpacked and depmod'ed into a cache shared by all tests and runs.
#
#   boot_deps_install      install the host tools the boot tests use, if missing
#   boot_kernels_fetch     make sure both kernels are in the cache, then export
#       K612_VER K612_DIR K612_PKG   6.12 LTS, generic flavour (linux-image-6.12.N+deb12-amd64-unsigned)
#       K61_VER  K61_DIR  K61_PKG    6.1 cloud flavour        (linux-image-6.1.0-N-cloud-amd64-unsigned)
#   with the kernel at $K*_DIR/boot/vmlinuz-$K*_VER, modules (and modules.dep)
#   in $K*_DIR/lib/modules/$K*_VER, and K*_PKG="package=debian-version".
#
# Cache layout, ${IOFS_CACHE:-/var/cache/initoverlayfs-tests}/kernels/:
#   .lock               flock(1) lock serialising concurrent fetches
#   KVER/               one unpacked package; it only appears, by rename(2),
#                       once unpacked and depmod'ed, so a directory that exists
#                       is complete (an interrupted run leaves only .unpack.*)
#   KVER/.iofs-package  "package=version" it came from
#
# The newest package name is resolved from the local apt lists at every call
# (cheap); `apt-get update` runs only when no package matches or a download
# fails. Without any usable apt source, the newest cached kernel of the flavour
# is used, with a warning.
#
# Sourcing this file changes no shell option; the functions return non-zero
# on failure and log to stderr.

_iofs_klog() { printf 'kernels: %s\n' "$*" >&2; }

_iofs_kernels_root() {
	printf '%s/kernels\n' "${IOFS_CACHE:-/var/cache/initoverlayfs-tests}"
}

# _iofs_apt ARGS...: apt-get ARGS, retried while another process holds the
# dpkg or apt lists lock (packages may be installing in the background).
_iofs_apt() {
	local out rc tries=0
	while :; do
		rc=0
		out=$(DEBIAN_FRONTEND=noninteractive apt-get -q -o DPkg::Lock::Timeout=600 "$@" 2>&1) || rc=$?
		if ((rc == 0)); then
			return 0
		fi
		if grep -Eq 'Could not get lock|Unable to lock|Unable to acquire|is held by process' <<<"$out" &&
			((tries < 120)); then
			((tries % 12 == 0)) && _iofs_klog "apt is locked by another process, waiting ($*)"
			tries=$((tries + 1))
			sleep 5
			continue
		fi
		printf '%s\n' "$out" >&2
		_iofs_klog "apt-get $* failed (exit $rc)"
		return "$rc"
	done
}

_iofs_apt_updated=0
_iofs_apt_update() {
	((_iofs_apt_updated)) && return 0
	_iofs_klog "running apt-get update"
	_iofs_apt update || return 1
	_iofs_apt_updated=1
}

# boot_deps_install: installs, quietly, the host packages the boot tests need
# that are not installed yet. busybox-static (not busybox) because /bin/busybox
# is copied into initramfs images that have no libc.
boot_deps_install() {
	local pkg status
	local -a missing=()
	for pkg in kmod qemu-system-x86 busybox-static cpio e2fsprogs xz-utils; do
		status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null) || status=
		[[ $status == installed ]] || missing+=("$pkg")
	done
	((${#missing[@]})) || return 0
	_iofs_klog "installing ${missing[*]}"
	if ! _iofs_apt install -y --no-install-recommends "${missing[@]}" 2>/dev/null; then
		_iofs_apt_update || return 1
		_iofs_apt install -y --no-install-recommends "${missing[@]}" || return 1
	fi
}

# _iofs_pkg_newest ERE: prints "NAME VERSION" of the newest package whose name
# matches ERE and that has an install candidate in the current apt lists.
_iofs_pkg_newest() {
	local re=$1 name cand
	while read -r name; do
		cand=$(apt-cache policy "$name" 2>/dev/null | awk '$1 == "Candidate:" { print $2 }')
		if [[ -n $cand && $cand != "(none)" ]]; then
			printf '%s %s\n' "$name" "$cand"
			return 0
		fi
	done < <(apt-cache search --names-only "$re" 2>/dev/null | awk '{ print $1 }' | grep -E -- "$re" | sort -rV)
	return 1
}

_iofs_kernel_complete() {
	local dir=$1 kver=$2
	[[ -f $dir/.iofs-package && -f $dir/boot/vmlinuz-$kver &&
		-s $dir/lib/modules/$kver/modules.dep ]]
}

# _iofs_kernel_unpack ROOT NAME VERSION KVER [DOWNLOAD_COMMAND...]: download
# NAME=VERSION into a temp dir inside ROOT (with DOWNLOAD_COMMAND NAME=VERSION,
# by default the host's apt-get download), unpack, depmod, then rename the
# result to ROOT/KVER.
_iofs_kernel_unpack() {
	local root=$1 name=$2 ver=$3 kver=$4 tmp deb
	shift 4
	# The sandbox user _apt cannot write into a 0700 mktemp dir; downloading
	# as root is fine, apt still checks the hashes from the signed lists.
	local -a download=("$@")
	((${#download[@]})) || download=(_iofs_apt -o APT::Sandbox::User=root download)
	tmp=$(mktemp -d "$root/.unpack.XXXXXX") || return 1
	_iofs_klog "downloading $name=$ver"
	if ! (cd "$tmp" && "${download[@]}" "$name=$ver" >/dev/null); then
		rm -rf -- "$tmp"
		return 1
	fi
	deb=$(find "$tmp" -maxdepth 1 -name '*.deb' -print -quit)
	if [[ -z $deb ]]; then
		_iofs_klog "apt-get download left no .deb for $name"
		rm -rf -- "$tmp"
		return 1
	fi
	_iofs_klog "unpacking $(basename "$deb")"
	if ! mkdir "$tmp/root" || ! dpkg -x "$deb" "$tmp/root"; then
		rm -rf -- "$tmp"
		return 1
	fi
	rm -f -- "$deb"
	# Debian 13's packages ship the modules in /usr/lib/modules (merged /usr):
	# lib is a link to usr/lib there, as on an installed system, for depmod -b
	# and one MODDIR layout for the tests.
	if [[ -d $tmp/root/usr/lib/modules/$kver && ! -e $tmp/root/lib ]] &&
		! ln -s usr/lib "$tmp/root/lib"; then
		rm -rf -- "$tmp"
		return 1
	fi
	if [[ ! -f $tmp/root/boot/vmlinuz-$kver || ! -d $tmp/root/lib/modules/$kver ]]; then
		_iofs_klog "$name does not hold boot/vmlinuz-$kver and lib/modules/$kver"
		rm -rf -- "$tmp"
		return 1
	fi
	# Debian ships no modules.dep; modprobe and our module lists need it.
	if ! depmod -b "$tmp/root" "$kver"; then
		rm -rf -- "$tmp"
		return 1
	fi
	chmod a+r "$tmp/root/boot/vmlinuz-$kver"
	printf '%s=%s\n' "$name" "$ver" >"$tmp/root/.iofs-package"
	rm -rf -- "${root:?}/$kver"
	if ! mv -T -- "$tmp/root" "$root/$kver"; then
		rm -rf -- "$tmp"
		return 1
	fi
	rm -rf -- "$tmp"
}

# _iofs_kernel_cached_newest ROOT GLOB: newest complete cached KVER matching GLOB.
_iofs_kernel_cached_newest() {
	local root=$1 glob=$2 d kver
	local -a found=()
	for d in "$root"/$glob; do
		kver=${d##*/}
		_iofs_kernel_complete "$d" "$kver" && found+=("$kver")
	done
	((${#found[@]})) || return 1
	printf '%s\n' "${found[@]}" | sort -V | tail -n 1
}

# _iofs_kernel_ensure ROOT PKG_ERE CACHE_GLOB: prints the KVER of the newest
# available package matching PKG_ERE, fetching it if not cached.
_iofs_kernel_ensure() {
	local root=$1 re=$2 glob=$3 name ver kver pv attempt
	for attempt in 1 2; do
		pv=$(_iofs_pkg_newest "$re") || pv=
		if [[ -z $pv ]]; then
			((attempt == 1)) && _iofs_apt_update && continue
			break
		fi
		read -r name ver <<<"$pv"
		kver=${name#linux-image-}
		kver=${kver%-unsigned}
		if _iofs_kernel_complete "$root/$kver" "$kver"; then
			printf '%s\n' "$kver"
			return 0
		fi
		if _iofs_kernel_unpack "$root" "$name" "$ver" "$kver"; then
			printf '%s\n' "$kver"
			return 0
		fi
		# Stale lists point at a file the mirror dropped: refresh once.
		((attempt == 1)) && _iofs_apt_update && continue
		break
	done
	if kver=$(_iofs_kernel_cached_newest "$root" "$glob"); then
		_iofs_klog "warning: no package matching /$re/ could be fetched; using cached $kver"
		printf '%s\n' "$kver"
		return 0
	fi
	_iofs_klog "no kernel package matching /$re/ available, and none cached"
	return 1
}

# iofs_cache_lock DIR: creates DIR, then holds DIR/.lock (flock, waiting up
# to an hour for another run to finish with the cache); sets IOFS_LOCK_FD.
# Release it with: exec {IOFS_LOCK_FD}>&-
iofs_cache_lock() {
	local dir=$1
	mkdir -p -- "$dir" || return 1
	exec {IOFS_LOCK_FD}>"$dir/.lock" || return 1
	if ! flock -w 3600 "$IOFS_LOCK_FD"; then
		printf 'cache: timed out waiting for %s/.lock\n' "$dir" >&2
		exec {IOFS_LOCK_FD}>&-
		return 1
	fi
}

boot_kernels_fetch() {
	local root lockfd k612 k61 rc=0
	root=$(_iofs_kernels_root)
	iofs_cache_lock "$root" || return 1
	lockfd=$IOFS_LOCK_FD
	# Holding the lock, any temp dir left is from an interrupted run.
	rm -rf -- "$root"/.unpack.*

	k612=$(_iofs_kernel_ensure "$root" \
		'^linux-image-6\.12\.[0-9]+\+deb12-amd64-unsigned$' '6.12.*+deb12-amd64') || rc=1
	# Strict: a looser 6\.1.* would also match the 6.12 cloud packages.
	k61=$(_iofs_kernel_ensure "$root" \
		'^linux-image-6\.1\.[0-9]+-[0-9]+-cloud-amd64-unsigned$' '6.1.[0-9]-[0-9]*-cloud-amd64') || rc=1
	exec {lockfd}>&-
	((rc == 0)) || return 1

	K612_VER=$k612
	K612_DIR=$root/$k612
	K612_PKG=$(<"$K612_DIR/.iofs-package")
	K61_VER=$k61
	K61_DIR=$root/$k61
	K61_PKG=$(<"$K61_DIR/.iofs-package")
	export K612_VER K612_DIR K612_PKG K61_VER K61_DIR K61_PKG
}
