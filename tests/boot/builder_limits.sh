#!/usr/bin/env bash
# The builder against hostile or interrupted input (issue 13, items 4 and
# 5), without a VM or the test kernels: a decompression bomb is refused at
# --max-unpacked-size and at the default limit; SIGTERM and SIGINT in the
# middle of a build stop it and the tool it runs; the tree it extracts is
# out of other users' reach; symlinks planted at the names side files once
# had are not followed; what a SIGKILL leaves, the next run removes. Each time the pair already in the output directory
# stays byte for byte, and no file of ours is left in the output directory
# or in $TMPDIR.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/pair.sh"
boot_test_init
[[ $(id -u) == 0 ]] || boot_skip "needs root"
BUILDER=$(realpath "${1:?usage: $0 PATH/TO/initoverlayfs-install}")
for tool in zstd gzip cpio mkfs.erofs setpriv; do
	command -v "$tool" >/dev/null || boot_skip "no $tool"
done

# A kernel with no modules is enough: nothing here boots.
kver=9.9.9-limits
moddir=$SCRATCH/modules
mkdir -p "$moddir"
touch "$moddir/modules.dep"
out=$SCRATCH/out
mkdir -p "$out"
mini=$out/initramfs-$kver.img
export TMPDIR=$SCRATCH/tmp
mkdir -p "$TMPDIR"
common=(--no-config --kver "$kver" --moddir "$moddir" --output-dir "$out"
	--bootfs LABEL=limits --bootfstype ext4)

mkcpio() { (cd "$1" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet); }

# The input the previous pair is made from: a root whose "." is 0755, as in
# every distribution's initramfs, with a file only root may read.
root=$SCRATCH/root
mkdir -p "$root"/{bin,etc}
chmod 755 "$root"
printf '#!/bin/sh\n' >"$root/init"
chmod 755 "$root/init"
echo "private key" >"$root/etc/secret"
chmod 600 "$root/etc/secret"
head -c 2M /dev/urandom >"$root/bin/payload"
mkcpio "$root" | zstd -q -c >"$SCRATCH/good.zst"
"$BUILDER" "${common[@]}" --initramfs "$SCRATCH/good.zst" >/dev/null
image=$(pair_image "$out" "$kver")
before=$(sha256sum "$mini" "$image")

# Nothing of ours left, the old pair as it was.
expect_untouched() { # WHAT
	[[ $before == "$(sha256sum "$mini" "$image")" ]] || boot_fail "$1: the previous pair changed"
	local left
	left=$(find "$out" -mindepth 1 -name '.*')
	[[ -z $left ]] || boot_fail "$1: temporary files left in the output directory: $left"
	left=$(find "$TMPDIR" -mindepth 1 -maxdepth 1)
	[[ -z $left ]] || boot_fail "$1: left in \$TMPDIR: $left"
}

# 1. A bomb: a few KB of zstd that unpack to 64 MiB of zeros, against a
# limit given on the command line.
bomb=$SCRATCH/bomb
mkdir -p "$bomb"
head -c 64M /dev/zero >"$bomb/zeros"
mkcpio "$bomb" | zstd -q -19 -c >"$SCRATCH/bomb.zst"
mkcpio "$bomb" | gzip -9 -c >"$SCRATCH/bomb.gz"
rm -rf "$bomb"
(($(stat -c %s "$SCRATCH/bomb.zst") < 16384)) || boot_fail "the zstd bomb is not small"
if msg=$("$BUILDER" -f "${common[@]}" --initramfs "$SCRATCH/bomb.zst" --max-unpacked-size 1M 2>&1); then
	boot_fail "the bomb was accepted under --max-unpacked-size 1M"
fi
grep -qF "initoverlayfs-install: error: refusing input $SCRATCH/bomb.zst: it unpacks to more than 1 MiB (--max-unpacked-size)" <<<"$msg" ||
	boot_fail "unclear message for the bomb: $msg"
expect_untouched "zstd bomb, --max-unpacked-size 1M"

# 2. The default limit: the scratch filesystem's free space, here a 16 MiB
# tmpfs as $TMPDIR. Refused before the disk fills, not with ENOSPC.
mount -t tmpfs -o size=16m,mode=0755 iofs-test-limits "$TMPDIR"
trap 'umount -l "$TMPDIR" 2>/dev/null || true; _boot_on_exit' EXIT
if msg=$("$BUILDER" -f "${common[@]}" --initramfs "$SCRATCH/bomb.gz" 2>&1); then
	boot_fail "the gzip bomb was accepted with a 16 MiB scratch filesystem"
fi
grep -qF "error: refusing input $SCRATCH/bomb.gz: it unpacks to more than " <<<"$msg" ||
	boot_fail "unclear message for the bomb at the default limit: $msg"
grep -qF "(the default: the free space in the scratch directory's filesystem" <<<"$msg" ||
	boot_fail "the message does not say where the limit comes from: $msg"
expect_untouched "gzip bomb, default limit"
umount "$TMPDIR"
trap _boot_on_exit EXIT

# 3. Signals while mkfs.erofs runs. A stand-in first in PATH records what it
# was given and how the tree it is to pack can be reached, then waits to be
# killed (or gives up after 60 s).
fake=$SCRATCH/fake
mkdir -p "$fake"
cat >"$fake/mkfs.erofs" <<FAKE
#!/bin/bash
src=\${@: -1}
{
	echo "pid \$\$"
	echo "src \$src"
	echo "parent-mode \$(stat -c %a "\$(dirname "\$src")")"
	if setpriv --reuid=65534 --regid=65534 --clear-groups cat "\$src/etc/secret" >/dev/null 2>&1 ||
		setpriv --reuid=65534 --regid=65534 --clear-groups ls "\$src" >/dev/null 2>&1; then
		echo "others: can read"
	else
		echo "others: cannot read"
	fi
} >"$SCRATCH/fake.info.tmp"
mv "$SCRATCH/fake.info.tmp" "$SCRATCH/fake.info"
sleep 60 &
echo "sleep \$!" >>"$SCRATCH/fake.info.sleep"
wait
FAKE
chmod 755 "$fake/mkfs.erofs"

interrupt_during_mkfs() { # SIGNAL
	local sig=$1 pid rc=0 i
	rm -f "$SCRATCH/fake.info" "$SCRATCH/fake.info.sleep"
	PATH=$fake:$PATH "$BUILDER" -f "${common[@]}" --initramfs "$SCRATCH/good.zst" \
		>"$SCRATCH/sig.out" 2>"$SCRATCH/sig.err" &
	pid=$!
	for ((i = 0; i < 300; i++)); do
		[[ -e $SCRATCH/fake.info && -e $SCRATCH/fake.info.sleep ]] && break
		sleep 0.1
	done
	[[ -e $SCRATCH/fake.info ]] || boot_fail "$sig: mkfs.erofs was never run"
	# 5. While the tree is there: its directory is 0700, nobody else reads it.
	grep -qx "parent-mode 700" "$SCRATCH/fake.info" ||
		boot_fail "the extracted tree's directory is not 0700: $(cat "$SCRATCH/fake.info")"
	grep -qx "others: cannot read" "$SCRATCH/fake.info" ||
		boot_fail "another user can read the extracted tree: $(cat "$SCRATCH/fake.info")"
	kill "-$sig" "$pid"
	wait "$pid" || rc=$?
	((rc != 0)) || boot_fail "$sig: exit status 0 after the signal"
	grep -qF "initoverlayfs-install: error: interrupted by SIG$sig; nothing installed, removing the temporary files" "$SCRATCH/sig.err" ||
		boot_fail "$sig: unclear message: $(cat "$SCRATCH/sig.err")"
	local child sleeper
	child=$(awk '$1 == "pid" { print $2 }' "$SCRATCH/fake.info")
	sleeper=$(awk '$1 == "sleep" { print $2 }' "$SCRATCH/fake.info.sleep")
	for ((i = 0; i < 50; i++)); do
		kill -0 "$child" 2>/dev/null || kill -0 "$sleeper" 2>/dev/null || break
		sleep 0.1
	done
	! kill -0 "$child" 2>/dev/null || boot_fail "$sig: mkfs.erofs still runs"
	! kill -0 "$sleeper" 2>/dev/null || boot_fail "$sig: mkfs.erofs's own child still runs"
	expect_untouched "SIG$sig during mkfs.erofs"
	boot_log "SIG$sig: exit status $rc, $(cat "$SCRATCH/sig.err")"
}
interrupt_during_mkfs TERM
interrupt_during_mkfs INT

# 4. SIGKILL cannot be caught: the scratch directory and the two temporary
# outputs stay, the old pair too. The next run removes them (their flock
# died with the builder), once they are a minute old.
rm -f "$SCRATCH/fake.info" "$SCRATCH/fake.info.sleep"
PATH=$fake:$PATH "$BUILDER" -f "${common[@]}" --initramfs "$SCRATCH/good.zst" >/dev/null 2>&1 &
pid=$!
for ((i = 0; i < 300; i++)); do
	[[ -e $SCRATCH/fake.info.sleep ]] && break
	sleep 0.1
done
kill -KILL "$pid"
{ wait "$pid"; } 2>/dev/null || true
kill -TERM -- "-$(awk '$1 == "pid" { print $2 }' "$SCRATCH/fake.info")" 2>/dev/null || true
[[ $before == "$(sha256sum "$mini" "$image")" ]] || boot_fail "SIGKILL: the previous pair changed"
mapfile -t left < <(find "$out" "$TMPDIR" -mindepth 1 -maxdepth 1 -name '.*' -o -mindepth 1 -maxdepth 1 -name 'initoverlayfs-install.*')
((${#left[@]} == 3)) || boot_fail "SIGKILL: expected the scratch directory and two temporary outputs, found: ${left[*]}"
touch -h -d '2 minutes ago' "${left[@]}"
"$BUILDER" -f "${common[@]}" --initramfs "$SCRATCH/good.zst" >/dev/null
image=$(pair_image "$out" "$kver")
before=$(sha256sum "$mini" "$image")
expect_untouched "the run after a SIGKILL"

# 6. Side files: the builder used to write OUTPUT.cpio and OUTPUT.packed
# (the mini initramfs's temporary name + a fixed suffix) and
# IMAGE.veritysetup / IMAGE.dumpe2fs, opened O_TRUNC, following symlinks.
# A stand-in mkfs.erofs plants symlinks at those names, to a file that must
# not change, then runs the real one.
victim=$SCRATCH/victim
echo "must not change" >"$victim"
real=$(command -v mkfs.erofs)
cat >"$fake/mkfs.erofs" <<FAKE
#!/bin/bash
for f in "$out"/.initramfs-$kver.img.*; do ln -s "$victim" "\$f.cpio"; ln -s "$victim" "\$f.packed"; done
for f in "$out"/.initoverlayfs-$kver.img.*; do ln -s "$victim" "\$f.veritysetup"; ln -s "$victim" "\$f.dumpe2fs"; done
exec "$real" "\$@"
FAKE
PATH=$fake:$PATH "$BUILDER" -f "${common[@]}" --initramfs "$SCRATCH/good.zst" \
	--initramfs-compression gzip >/dev/null
[[ $(cat "$victim") == "must not change" ]] || boot_fail "a planted symlink was followed: $victim was written"
planted=$(find "$out" -name '.*' -type l)
[[ -n $planted ]] || boot_fail "the stand-in planted no symlink"
rm -f $planted
left=$(find "$out" "$TMPDIR" -mindepth 1 -name '.*' -o -mindepth 1 -path "$TMPDIR/*")
[[ -z $left ]] || boot_fail "left behind after a good build: $left"
echo "PASS: $BOOT_TEST_NAME"
