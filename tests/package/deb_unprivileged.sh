#!/usr/bin/env bash
# The Debian package builds as an ordinary user, as debian/control's
# Rules-Requires-Root: no promises, with its unit tests:
#   - dpkg-buildpackage -us -uc -b, run as nobody (or as the calling user
#     when that is not root) on a copy of the source tree that user owns,
#     succeeds; the unit tests run in it (no nocheck), so a test that needs
#     root and does not skip fails the build and this test;
#   - the .deb holds the builder and the early-boot program, owned by root
#     although no root built it, and the builder runs.
# It builds the project once: about 7 minutes on two busy cores.
set -Eeuo pipefail
shopt -s inherit_errexit
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
name=deb_unprivileged
log() { printf '%s: %s\n' "$name" "$*" >&2; }
fail() { printf '%s: FAIL: %s\n' "$name" "$*" >&2; exit 1; }
skip() { printf '%s: SKIP: %s\n' "$name" "$*" >&2; exit 77; }
trap 'printf "%s: error: command failed (exit %d) at line %s: %s\n" "$name" $? "$LINENO" "$BASH_COMMAND" >&2' ERR

for tool in dpkg-buildpackage dh cmake git; do
	command -v "$tool" >/dev/null || skip "no $tool (dpkg-dev, debhelper, cmake, git)"
done
(cd "$repo" && dpkg-checkbuilddeps) || skip "build dependencies missing (see above)"

if [[ $(id -u) == 0 ]]; then
	user=nobody
	id "$user" >/dev/null 2>&1 || skip "no user $user to build as"
	command -v runuser >/dev/null || skip "no runuser"
	as_user=(runuser -u "$user" --)
else
	user=$(id -un)
	as_user=()
fi
group=$(id -gn "$user")

SCRATCH=$(mktemp -d "${TMPDIR:-/var/tmp}/iofs-deb-unpriv.XXXXXX")
cleanup() {
	if [[ ${KEEP_TMP:-0} == 1 ]]; then log "kept $SCRATCH"; else rm -rf -- "$SCRATCH"; fi
}
trap cleanup EXIT
chmod 0755 "$SCRATCH"

# The tracked and new files, as deb_hooks.sh copies them; the user owns the
# copy and the directory dpkg-buildpackage writes the .deb into.
src=$SCRATCH/build/initoverlayfs
mkdir -p "$src" "$SCRATCH/home"
git -C "$repo" ls-files -co --exclude-standard -z | grep -zv '^bench/results/' |
	(cd "$repo" && tar --null -cf - -T -) | tar -xf - -C "$src"
chown -R "$user:$group" "$SCRATCH/build" "$SCRATCH/home"

t=$SECONDS
log "dpkg-buildpackage -us -uc -b as $user (uid $(id -u "$user"))"
rc=0
(cd "$src" && "${as_user[@]}" env -i PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin \
	HOME="$SCRATCH/home" LANG=C.UTF-8 DEB_BUILD_OPTIONS="parallel=${IOFS_BUILD_JOBS:-2}" \
	dpkg-buildpackage -us -uc -b) >"$SCRATCH/build.log" 2>&1 || rc=$?
log "dpkg-buildpackage exited $rc after $((SECONDS - t)) s"
if ((rc != 0)); then
	grep -E '(Failed|\*\*\*Exception|Not Run|tests failed out of)' "$SCRATCH/build.log" >&2 || true
	tail -40 "$SCRATCH/build.log" >&2
	fail "dpkg-buildpackage as $user failed"
fi

# The unit tests did run, unprivileged; what skipped, and why, is in the log.
grep -qE '^100% tests passed, 0 tests failed out of [0-9]+' "$SCRATCH/build.log" ||
	fail "the build log shows no passing unit test run (dh_auto_test skipped?)"
log "$(grep -E '^100% tests passed' "$SCRATCH/build.log")"
skipped=$(grep -c '(Skipped)$' "$SCRATCH/build.log" || true)
log "$skipped unit tests skipped (needs root)"

arch=$(dpkg --print-architecture)
debs=("$SCRATCH"/build/initoverlayfs_*_"$arch".deb)
deb=${debs[0]}
[[ -f $deb ]] || fail "no initoverlayfs_*_$arch.deb in $SCRATCH/build: $(ls "$SCRATCH/build")"
dpkg-deb -c "$deb" >"$SCRATCH/contents"
for f in ./usr/bin/initoverlayfs-install ./usr/sbin/initoverlayfs; do
	line=$(awk -v f="$f" '$6 == f' "$SCRATCH/contents")
	[[ -n $line ]] || fail "$(basename "$deb") lacks $f"
	[[ $line == -rwxr-xr-x\ root/root\ * ]] || fail "$f is not an executable owned by root/root: $line"
done
mkdir "$SCRATCH/x"
dpkg-deb -x "$deb" "$SCRATCH/x"
version=$("$SCRATCH/x/usr/bin/initoverlayfs-install" --version) || fail "the packaged builder does not run"
log "$(basename "$deb"): $version"
log "PASS in $((SECONDS - t)) s"
