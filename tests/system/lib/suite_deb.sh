# shellcheck shell=bash
# The project's .deb built inside the test suite's Debian release, the way a
# user of that release gets it: dpkg-buildpackage in a chroot of the release
# with the Build-Depends of debian/control, so the binaries link against the
# release's libraries and the package depends on their names there (Debian
# 13 renamed many for 64-bit time_t: libarchive13 became libarchive13t64).
#
#   system_suite_deb REPO   prints the path of initoverlayfs_*_amd64.deb built
#                           from REPO's source tree (git ls-files -co
#                           --exclude-standard, bench/results/ left out, as
#                           package.deb_hooks copies it)
#
# Cache, in the suite's cache (lib/system.sh, _sys_cache), deb-build/:
#   root/     the suite's base system plus build-essential and the
#             Build-Depends (apt-get build-dep on the tree at every build:
#             a no-op until debian/control changes)
#   HASH/     the .deb and build.log of the source tree whose files hash to
#             HASH (sha256 over their paths, modes and contents); the four
#             newest are kept
# Each appears by rename(2) once complete. Needs lib/system.sh and
# system_prepare done (the base system); takes the suite's cache lock.

# _suite_deb_tree_hash REPO: the hash of the files the package is built from.
_suite_deb_tree_hash() {
	local repo=$1 f
	local -a files=() present=()
	mapfile -d '' files < <(git -C "$repo" ls-files -co --exclude-standard --deduplicate -z |
		grep -zv '^bench/results/' | sort -z) || return 1
	((${#files[@]})) || return 1
	for f in "${files[@]}"; do
		[[ -e $repo/$f || -L $repo/$f ]] && present+=("$f")
	done
	(cd "$repo" && { stat -c '%a %n' -- "${present[@]}" && sha256sum -- "${present[@]}"; }) |
		sha256sum | cut -d' ' -f1
}

# _suite_deb_build REPO ROOT OUT: copies REPO's tree into ROOT, installs its
# build dependencies there and builds; the .deb and build.log land in OUT.
_suite_deb_build() {
	local repo=$1 root=$2 out=$3 src=$2/tmp/iofs-src rc=0
	rm -rf -- "$src"
	mkdir -p -- "$src/initoverlayfs" || return 1
	git -C "$repo" ls-files -co --exclude-standard -z | grep -zv '^bench/results/' |
		(cd "$repo" && tar --null -cf - -T -) | tar -xf - -C "$src/initoverlayfs" || return 1
	# build-essential is implicit in Build-Depends (Debian policy 4.2).
	_sys_apt "$root" build-dep /tmp/iofs-src/initoverlayfs >"$out/build-dep.log" 2>&1 ||
		{ tail -n 30 -- "$out/build-dep.log" >&2; _sys_log "apt-get build-dep failed in $SYSTEM_RELEASE (log: $out/build-dep.log)"; rm -rf -- "$src"; return 1; }
	system_chroot "$root" /bin/sh -c 'cd /tmp/iofs-src/initoverlayfs &&
		DEB_BUILD_OPTIONS="nocheck parallel=2" dpkg-buildpackage -us -uc -b' >"$out/build.log" 2>&1 || rc=$?
	if ((rc == 0)); then
		cp -- "$src"/initoverlayfs_*_amd64.deb "$out/" || rc=1
	else
		tail -n 40 -- "$out/build.log" >&2
		_sys_log "dpkg-buildpackage failed in $SYSTEM_RELEASE (log: $out/build.log)"
	fi
	rm -rf -- "$src"
	return "$rc"
}

system_suite_deb() {
	local repo=$1 cache dir hash root tmp rc=0 lockfd t0=$SECONDS
	cache=$(_sys_cache)
	dir=$cache/deb-build
	hash=$(_suite_deb_tree_hash "$repo") || return 1
	[[ $hash =~ ^[0-9a-f]{64}$ ]] || { _sys_log "could not hash the source tree $repo"; return 1; }
	iofs_cache_lock "$cache" || return 1
	lockfd=$IOFS_LOCK_FD
	mkdir -p -- "$dir" || rc=1
	root=$dir/root
	if ((rc == 0)) && [[ ! -f $dir/$hash/ok ]]; then
		_sys_log "building the .deb in $SYSTEM_RELEASE (source tree ${hash:0:12})"
		rm -rf -- "$dir"/.build.*
		if [[ ! -d $root ]]; then
			tmp=$(mktemp -d "$dir/.build.XXXXXX") || rc=1
			if ((rc == 0)) && cp -a -- "$cache/base-r$SYSTEM_BASE_RECIPE" "$tmp/root" &&
				_sys_apt "$tmp/root" install build-essential dpkg-dev >"$tmp/install.log" 2>&1 &&
				mv -T -- "$tmp/root" "$root"; then
				rm -rf -- "$tmp"
			else
				[[ -n ${tmp:-} && -f $tmp/install.log ]] && tail -n 30 -- "$tmp/install.log" >&2
				_sys_log "making the $SYSTEM_RELEASE build root failed"
				rm -rf -- "${tmp:-}"
				rc=1
			fi
		fi
		if ((rc == 0)); then
			tmp=$(mktemp -d "$dir/.build.XXXXXX") || rc=1
		fi
		if ((rc == 0)) && _suite_deb_build "$repo" "$root" "$tmp" && touch "$tmp/ok" &&
			{ rm -rf -- "${dir:?}/$hash"; mv -T -- "$tmp" "$dir/$hash"; }; then
			_sys_log "built $(basename "$dir/$hash"/initoverlayfs_*_amd64.deb) in $((SECONDS - t0)) s"
			# The four newest builds stay (other worktrees share the cache).
			find "$dir" -mindepth 1 -maxdepth 1 -type d -regextype egrep -regex '.*/[0-9a-f]{64}' -printf '%T@ %p\n' |
				sort -rn | tail -n +5 | cut -d' ' -f2- | while IFS= read -r old; do rm -rf -- "$old"; done
		else
			# A failed build's logs stay beside the cache for a look.
			[[ -n ${tmp:-} && -d $tmp ]] && { rm -rf -- "$dir/failed"; mv -T -- "$tmp" "$dir/failed"; }
			rc=1
		fi
	fi
	exec {lockfd}>&-
	((rc == 0)) || return 1
	ls "$dir/$hash"/initoverlayfs_*_amd64.deb
}
