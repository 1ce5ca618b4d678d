# shellcheck shell=bash
# Debian's arm64 kernels and an arm64 static busybox for the tests that
# build (and boot, in qemu-system-aarch64) pairs for 64-bit ARM on this
# x86-64 host, as a build server makes images for devices.
#
#   boot_arm64_fetch   make sure both kernels and the busybox are cached, then export
#       A61_VER  A61_DIR  A61_PKG    Debian 12's 6.1 (linux-image-6.1.0-N-arm64-unsigned)
#       A612_VER A612_DIR A612_PKG   Debian 13's 6.12 (linux-image-6.12.N+deb13-arm64-unsigned)
#       ARM64_BUSYBOX                a static arm64 busybox (Debian 12's busybox-static)
#   with the kernel at $A*_DIR/boot/vmlinuz-$A*_VER and the modules (depmod'ed
#   here: depmod reads another machine's modules as well as its own) in
#   $A*_DIR/lib/modules/$A*_VER (for Debian 13, lib is a link to usr/lib).
#
# The packages come from the host's mirror through apt lists of their own
# (arm64 only, one set per suite) under
# ${IOFS_CACHE:-/var/cache/initoverlayfs-tests}/kernels-arm64/apt-SUITE/:
# the host needs neither the arm64 architecture in dpkg nor trixie in its
# sources. The lists are refreshed when no package matches or a download
# fails. The cache layout is that of lib/kernels.sh (KVER/ appears by rename
# once complete, KVER/.iofs-package names what it came from).
#
# Needs lib/kernels.sh sourced first (its unpacking and locking).

_iofs_arm64_root() {
	printf '%s/kernels-arm64\n' "${IOFS_CACHE:-/var/cache/initoverlayfs-tests}"
}

# _iofs_arm64_apt SUITE PROGRAM ARGS...: apt-get or apt-cache for arm64
# packages of SUITE (bookworm, trixie), with the suite's own lists and an
# empty dpkg status: what the host has installed does not matter.
_iofs_arm64_apt() {
	local suite=$1 prog=$2 dir
	shift 2
	dir=$(_iofs_arm64_root)/apt-$suite
	mkdir -p -- "$dir/lists/partial" "$dir/archives/partial" "$dir/sources" || return 1
	[[ -e $dir/status ]] || : >"$dir/status"
	cat >"$dir/sources/debian.sources" <<-EOF
		Types: deb
		URIs: http://deb.debian.org/debian
		Suites: $suite $suite-updates
		Components: main
		Architectures: arm64
		Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

		Types: deb
		URIs: http://deb.debian.org/debian-security
		Suites: $suite-security
		Components: main
		Architectures: arm64
		Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
	EOF
	"$prog" -q -o Dir::Etc::SourceList=/dev/null -o Dir::Etc::SourceParts="$dir/sources" \
		-o Dir::State::Lists="$dir/lists" -o Dir::State::status="$dir/status" \
		-o Dir::Cache::Archives="$dir/archives" -o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache= \
		-o APT::Architecture=arm64 -o APT::Architectures=arm64 \
		-o APT::Sandbox::User=root -o DPkg::Lock::Timeout=600 "$@"
}

# _iofs_arm64_newest SUITE ERE: "NAME VERSION" of the newest package of SUITE
# whose name matches ERE, refreshing the suite's lists once if none does.
_iofs_arm64_newest() {
	local suite=$1 re=$2 attempt name cand
	for attempt in 1 2; do
		while read -r name; do
			cand=$(_iofs_arm64_apt "$suite" apt-cache policy "$name" 2>/dev/null |
				awk '$1 == "Candidate:" { print $2 }')
			if [[ -n $cand && $cand != "(none)" ]]; then
				printf '%s %s\n' "$name" "$cand"
				return 0
			fi
		done < <(_iofs_arm64_apt "$suite" apt-cache search --names-only "$re" 2>/dev/null |
			awk '{ print $1 }' | grep -E -- "$re" | sort -rV)
		((attempt == 1)) || break
		_iofs_klog "refreshing the arm64 lists of $suite"
		_iofs_arm64_apt "$suite" apt-get update >/dev/null || return 1
	done
	return 1
}

# _iofs_arm64_kernel SUITE ERE: the KVER of the newest kernel of SUITE
# matching ERE, unpacked and depmod'ed in the cache.
_iofs_arm64_kernel() {
	local suite=$1 re=$2 root pv name ver kver attempt
	root=$(_iofs_arm64_root)
	for attempt in 1 2; do
		pv=$(_iofs_arm64_newest "$suite" "$re") || {
			_iofs_klog "no arm64 package matching /$re/ in $suite"
			return 1
		}
		read -r name ver <<<"$pv"
		kver=${name#linux-image-}
		kver=${kver%-unsigned}
		if _iofs_kernel_complete "$root/$kver" "$kver" ||
			_iofs_kernel_unpack "$root" "$name" "$ver" "$kver" _iofs_arm64_apt "$suite" apt-get download; then
			printf '%s\n' "$kver"
			return 0
		fi
		# Stale lists point at a file the mirror dropped: refresh once.
		((attempt == 1)) && _iofs_arm64_apt "$suite" apt-get update >/dev/null
	done
	return 1
}

# _iofs_arm64_busybox: the path of Debian 12's static arm64 busybox, cached
# as busybox-VERSION (unpacked from busybox-static's .deb).
_iofs_arm64_busybox() {
	local root pv name ver file tmp deb
	root=$(_iofs_arm64_root)
	pv=$(_iofs_arm64_newest bookworm '^busybox-static$') || return 1
	read -r name ver <<<"$pv"
	file=$root/busybox-${ver//[:~]/_}
	if [[ ! -x $file ]]; then
		tmp=$(mktemp -d "$root/.unpack.XXXXXX") || return 1
		_iofs_klog "downloading $name=$ver (arm64)"
		if ! (cd "$tmp" && _iofs_arm64_apt bookworm apt-get download "$name=$ver" >/dev/null) ||
			! deb=$(find "$tmp" -maxdepth 1 -name '*.deb' -print -quit) || [[ -z $deb ]] ||
			! dpkg -x "$deb" "$tmp/root" || ! mv -f -- "$tmp/root/bin/busybox" "$file"; then
			rm -rf -- "$tmp"
			return 1
		fi
		rm -rf -- "$tmp"
	fi
	printf '%s\n' "$file"
}

boot_arm64_fetch() {
	local root lockfd a61 a612 bb rc=0
	root=$(_iofs_arm64_root)
	iofs_cache_lock "$root" || return 1
	lockfd=$IOFS_LOCK_FD
	rm -rf -- "$root"/.unpack.*
	# The generic flavour, which boards boot.
	a61=$(_iofs_arm64_kernel bookworm '^linux-image-6\.1\.[0-9]+-[0-9]+-arm64-unsigned$') || rc=1
	a612=$(_iofs_arm64_kernel trixie '^linux-image-6\.12\.[0-9]+\+deb13-arm64-unsigned$') || rc=1
	bb=$(_iofs_arm64_busybox) || rc=1
	exec {lockfd}>&-
	((rc == 0)) || return 1
	A61_VER=$a61
	A61_DIR=$root/$a61
	A61_PKG=$(<"$A61_DIR/.iofs-package")
	A612_VER=$a612
	A612_DIR=$root/$a612
	A612_PKG=$(<"$A612_DIR/.iofs-package")
	ARM64_BUSYBOX=$bb
	export A61_VER A61_DIR A61_PKG A612_VER A612_DIR A612_PKG ARM64_BUSYBOX
}
