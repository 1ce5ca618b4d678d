#!/usr/bin/env bash
# The README's set-up on a machine that has never seen the project.
#
# A development machine, and CI on it, keeps every package anyone ever
# installed by hand, so a package missing from scripts/install-deps.sh goes
# unnoticed there. This test starts from a minimal Debian 12
# (debootstrap --variant=minbase), puts a clean clone of the project in it and
# runs, as root in that chroot, exactly what the README says:
#   bash scripts/test.sh -L unit     install-deps.sh, configure, build every
#                                    target, run the unit tests
#   build/initoverlayfs-install --help
#   ctest -R '^fuzz\.build$'         the fuzz targets, with clang 16 (not
#                                    part of the build of every target)
#
# The minbase system is made once and kept as a pristine tarball under
# ${IOFS_CACHE:-/var/cache/initoverlayfs-tests}/fresh; every run unpacks a new
# copy. Downloaded .debs are kept in the same cache between runs (apt checks
# each against the signed package lists), so only the first run downloads
# them: nothing is installed in the chroot that install-deps.sh does not ask for.
# The chroot gets the host's apt sources and configuration, as every new
# machine of this kind has them.
#
# Usage: fresh_system.sh [--demo] [SOURCE_REPO]
#   SOURCE_REPO  the git repository to clone (default: this checkout); the
#                clone takes its HEAD, so uncommitted changes are not tested
#   --demo       run the README's main-job command (bash scripts/demo.sh)
#                instead of the test command; by hand, it takes minutes
# Exit: 0 passed, 1 failed, 77 skipped (not root, no debootstrap, not a git
# checkout).
set -Eeuo pipefail
shopt -s inherit_errexit

log() { printf 'fresh_system: %s\n' "$*" >&2; }
fail() { printf 'fresh_system: FAIL: %s\n' "$*" >&2; exit 1; }
skip() { printf 'fresh_system: SKIP: %s\n' "$*" >&2; exit 77; }
trap 'printf "fresh_system: error: command failed (exit %d) at line %s: %s\n" $? "$LINENO" "$BASH_COMMAND" >&2' ERR

job=test
if [[ ${1:-} == --demo ]]; then
	job=demo
	shift
fi
source_repo=${1:-$(cd "$(dirname "$0")/../.." && pwd)}

[[ $(id -u) == 0 ]] || skip "needs root (debootstrap, chroot, mounts)"
command -v debootstrap >/dev/null || skip "debootstrap is not installed"
git -C "$source_repo" rev-parse --verify -q HEAD >/dev/null ||
	skip "$source_repo is not a git checkout with a commit (nothing to clone)"

cache=${IOFS_CACHE:-/var/cache/initoverlayfs-tests}/fresh
tarball=$cache/bookworm-minbase.tar.zst
mirror=${FRESH_MIRROR:-http://deb.debian.org/debian}
mkdir -p "$cache/archives/partial"

# The pristine system, once, under a lock: made in a temporary directory and
# renamed into place only when complete.
make_tarball() {
	local lock tmp
	exec {lock}>"$cache/.lock"
	flock "$lock"
	if [[ ! -f $tarball ]]; then
		rm -rf --one-file-system "$cache"/root.tmp.* "$cache"/tarball.tmp.*
		tmp=$cache/root.tmp.$$
		log "debootstrap --variant=minbase bookworm (once; cached in $tarball)"
		if ! debootstrap --variant=minbase bookworm "$tmp" "$mirror" >"$cache/debootstrap.log" 2>&1; then
			tail -20 "$cache/debootstrap.log" >&2
			rm -rf --one-file-system "$tmp"
			exec {lock}>&-
			fail "debootstrap failed (log: $cache/debootstrap.log)"
		fi
		rm -f "$tmp"/var/cache/apt/archives/*.deb
		tar -C "$tmp" --numeric-owner --xattrs -cf - . | zstd -q -T0 -o "$cache/tarball.tmp.$$"
		mv -T "$cache/tarball.tmp.$$" "$tarball"
		rm -rf --one-file-system "$tmp"
	fi
	exec {lock}>&-
}

scratch=
mounts=()
cleanup() {
	local rc=$? i pid
	trap - ERR
	if [[ -n $scratch ]]; then
		# Nothing may keep running inside the chroot (a build, a QEMU of the demo).
		for pid in $(ls /proc | grep -E '^[0-9]+$'); do
			[[ $(readlink "/proc/$pid/root" 2>/dev/null) == "$scratch/root"* ]] && kill -9 "$pid" 2>/dev/null
		done
		for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do
			umount -R "${mounts[i]}" 2>/dev/null || umount -R -l "${mounts[i]}" 2>/dev/null || true
		done
		# --one-file-system: should an unmount have failed, never descend into
		# the host's /dev or the package cache.
		rm -rf --one-file-system "$scratch"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

make_tarball
scratch=$(mktemp -d "${TMPDIR:-/var/tmp}/iofs-fresh.XXXXXX")
root=$scratch/root
mkdir "$root"
start=$SECONDS
zstd -q -dc "$tarball" | tar -C "$root" --numeric-owner --xattrs -xf -
log "unpacked the pristine system in $((SECONDS - start)) s"

git clone -q --no-hardlinks "$source_repo" "$root/src"
log "cloned $(git -C "$root/src" rev-parse --short HEAD) from $source_repo"

# The network and package sources of a new machine of this kind.
cp -L /etc/resolv.conf "$root/etc/resolv.conf"
rm -f "$root/etc/apt/sources.list"
cp -a /etc/apt/sources.list.d/. "$root/etc/apt/sources.list.d/"
[[ -f /etc/apt/sources.list ]] && cp /etc/apt/sources.list "$root/etc/apt/sources.list"
cp -a /etc/apt/apt.conf.d/. "$root/etc/apt/apt.conf.d/"
# Package scripts must not start daemons on the host.
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
chmod 755 "$root/usr/sbin/policy-rc.d"

# On a real machine / is a mount point; the builder looks up the filesystem
# holding its output in /proc/self/mountinfo, where a plain directory as the
# chroot's root has no entry.
mount --bind "$root" "$root" && mounts+=("$root")
mount -t proc proc "$root/proc" && mounts+=("$root/proc")
mount -t sysfs sysfs "$root/sys" && mounts+=("$root/sys")
mount --rbind /dev "$root/dev" && mount --make-rslave "$root/dev" && mounts+=("$root/dev")
mount -t tmpfs tmpfs "$root/run" && mounts+=("$root/run")
mount --bind "$cache/archives" "$root/var/cache/apt/archives" && mounts+=("$root/var/cache/apt/archives")

in_chroot() {
	chroot "$root" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		HOME=/root LANG=C.UTF-8 TERM=dumb "$@"
}

if [[ $job == demo ]]; then
	log "running the README's main job: bash scripts/demo.sh"
	in_chroot bash -c 'cd /src && bash scripts/demo.sh' || fail "bash scripts/demo.sh failed on a fresh system"
	log "PASS: the main job ran on a fresh system in $((SECONDS - start)) s"
	exit 0
fi

log "running the README's test command, unit tests only: bash scripts/test.sh -L unit"
out=$scratch/test.log
if ! in_chroot bash -c 'cd /src && bash scripts/test.sh -L unit' >"$out" 2>&1; then
	grep -E 'error|Error|No such file|not found|FAILED' "$out" | head -40 >&2 || true
	tail -30 "$out" >&2
	fail "the README's set-up failed on a fresh Debian 12 system (is a package missing from scripts/install-deps.sh?)"
fi
tail -3 "$out" >&2
grep -Eq '^100% tests passed, 0 tests failed out of [1-9]' "$out" ||
	fail "ctest -L unit ran no test on the fresh system"
in_chroot /src/build/initoverlayfs-install --help >"$scratch/help.txt" 2>&1 ||
	fail "initoverlayfs-install --help failed on the fresh system: $(head -5 "$scratch/help.txt")"
grep -q -- '--placement' "$scratch/help.txt" || fail "initoverlayfs-install --help printed no option list"
# The fuzz targets build with another compiler (clang 16, its libFuzzer):
# a package missing for them shows only here.
log "building the fuzz targets: ctest -R '^fuzz\.build\$'"
if ! in_chroot bash -c 'cd /src/build && ctest --output-on-failure -R "^fuzz\.build\$"' >"$scratch/fuzz.log" 2>&1; then
	tail -30 "$scratch/fuzz.log" >&2
	fail "the fuzz targets did not build on a fresh Debian 12 system (is a package missing from scripts/install-deps.sh?)"
fi
grep -Eq '^100% tests passed, 0 tests failed out of 1$' "$scratch/fuzz.log" ||
	fail "ctest -R fuzz.build ran no test on the fresh system"
log "PASS: install-deps, build, unit tests, --help and the fuzz build on a fresh system in $((SECONDS - start)) s"
