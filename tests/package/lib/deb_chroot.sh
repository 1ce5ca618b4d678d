# shellcheck shell=bash
# A minimal Debian 12 chroot with initramfs-tools, for the package tests,
# and the two kernel packages to install into it. Made once with
# debootstrap and cached under ${IOFS_CACHE:-/var/cache/initoverlayfs-tests}/deb-chroot/base
# (under a lock, built in a temporary directory renamed into place when
# complete). Each test runs in an overlay on top of the cache, so the
# cache itself is never changed.
#
# Kept small on purpose so that it can give way to the shared system image
# (tests/system/lib/system.sh) later: deb_chroot_base, deb_chroot_enter,
# deb_chroot_run and the cleanup trap are all there is.
#
#   deb_chroot_base          makes sure the cache exists; sets DEB_CHROOT_BASE
#   deb_chroot_enter DIR     overlay of the cache at DIR/root, /proc /sys /dev
#                            mounted in it; deb_chroot_leave undoes it (also
#                            called by the EXIT trap the test installs)
#   deb_chroot_run CMD...    runs CMD in the chroot
DEB_CHROOT_CACHE=${IOFS_CACHE:-/var/cache/initoverlayfs-tests}/deb-chroot
DEB_CHROOT_MIRROR=${DEB_CHROOT_MIRROR:-http://deb.debian.org/debian}
# What the hooks and the package need, nothing more: initramfs-tools (and
# zstd, its default compressor), the package's dependencies, file for the
# checks.
DEB_CHROOT_INCLUDE=initramfs-tools,zstd,erofs-utils,cpio,kmod,linux-base,file,libarchive13,libblkid1,libzstd1

_deb_log() { printf 'deb-chroot: %s\n' "$*" >&2; }

# _deb_newest ERE: the newest package name matching ERE with a candidate.
_deb_newest() {
	local name cand
	while read -r name; do
		cand=$(apt-cache policy "$name" 2>/dev/null | awk '$1 == "Candidate:" { print $2 }')
		[[ -n $cand && $cand != "(none)" ]] && { echo "$name"; return 0; }
	done < <(apt-cache search --names-only "$1" 2>/dev/null | awk '{ print $1 }' | grep -E -- "$1" | sort -rV)
	return 1
}

deb_chroot_base() {
	DEB_CHROOT_BASE=$DEB_CHROOT_CACHE/base
	mkdir -p "$DEB_CHROOT_CACHE"
	local lock
	exec {lock}>"$DEB_CHROOT_CACHE/.lock"
	flock "$lock"
	if [[ ! -e $DEB_CHROOT_BASE/.complete ]]; then
		# Left over by an interrupted run (we hold the lock: nobody else's).
		rm -rf "$DEB_CHROOT_CACHE"/base.tmp.*
		local tmp=$DEB_CHROOT_CACHE/base.tmp.$$ start=$SECONDS k61 k612
		_deb_log "debootstrap bookworm into $tmp (once)"
		if ! debootstrap --variant=minbase --include="$DEB_CHROOT_INCLUDE" bookworm "$tmp" \
			"$DEB_CHROOT_MIRROR" >"$DEB_CHROOT_CACHE/debootstrap.log" 2>&1; then
			tail -20 "$DEB_CHROOT_CACHE/debootstrap.log" >&2
			exec {lock}>&-
			return 1
		fi
		# Two kernel flavours small enough to install quickly: the newest
		# 6.1 and 6.12 cloud kernels, downloaded with the host's apt.
		apt-get update -qq >/dev/null 2>&1 || true
		k61=$(_deb_newest '^linux-image-6\.1\.0-[0-9]+-cloud-amd64-unsigned$') &&
			k612=$(_deb_newest '^linux-image-6\.12\.[0-9]+\+deb12-cloud-amd64-unsigned$') || {
			_deb_log "no cloud kernel packages in the apt lists"
			exec {lock}>&-
			return 1
		}
		mkdir -p "$tmp/var/cache/iofs-debs"
		if ! (cd "$tmp/var/cache/iofs-debs" && apt-get download -qq "$k61" "$k612" >/dev/null); then
			_deb_log "apt-get download $k61 $k612 failed"
			exec {lock}>&-
			return 1
		fi
		apt-get clean -o Dir::Cache="$tmp/var/cache/apt" >/dev/null 2>&1 || true
		rm -rf "$tmp"/var/cache/apt/archives/*.deb "$tmp"/var/lib/apt/lists/*_Packages
		touch "$tmp/.complete"
		mv -T "$tmp" "$DEB_CHROOT_BASE"
		_deb_log "cached in $DEB_CHROOT_BASE ($((SECONDS - start)) s)"
	fi
	exec {lock}>&-
}

DEB_CHROOT_MOUNTS=()
deb_chroot_enter() {
	local dir=$1
	DEB_CHROOT=$dir/root
	mkdir -p "$dir/upper" "$dir/work" "$DEB_CHROOT"
	mount -t overlay iofs-deb-chroot -o "lowerdir=$DEB_CHROOT_BASE,upperdir=$dir/upper,workdir=$dir/work" \
		"$DEB_CHROOT"
	DEB_CHROOT_MOUNTS=("$DEB_CHROOT")
	mount -t proc proc "$DEB_CHROOT/proc" && DEB_CHROOT_MOUNTS+=("$DEB_CHROOT/proc")
	mount -t sysfs sysfs "$DEB_CHROOT/sys" && DEB_CHROOT_MOUNTS+=("$DEB_CHROOT/sys")
	mount --rbind /dev "$DEB_CHROOT/dev" && mount --make-rslave "$DEB_CHROOT/dev" &&
		DEB_CHROOT_MOUNTS+=("$DEB_CHROOT/dev")
	# No daemons from package scripts.
	printf '#!/bin/sh\nexit 101\n' >"$DEB_CHROOT/usr/sbin/policy-rc.d"
	chmod 755 "$DEB_CHROOT/usr/sbin/policy-rc.d"
}

# Unmounts what deb_chroot_enter mounted, innermost first.
deb_chroot_leave() {
	local i
	for ((i = ${#DEB_CHROOT_MOUNTS[@]} - 1; i >= 0; i--)); do
		umount -R "${DEB_CHROOT_MOUNTS[i]}" 2>/dev/null || umount -R -l "${DEB_CHROOT_MOUNTS[i]}" 2>/dev/null || true
	done
	DEB_CHROOT_MOUNTS=()
}

deb_chroot_run() {
	chroot "$DEB_CHROOT" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
		DEBIAN_FRONTEND=noninteractive LANG=C.UTF-8 "$@"
}
