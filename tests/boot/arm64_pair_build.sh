#!/usr/bin/env bash
# Issue 17, no VM: arm64 pairs built on this x86-64 machine, as a build
# server makes images for boards, from Debian 12's arm64 6.1 and Debian 13's
# arm64 6.12 packages and an arm64 root directory. The builder picks the
# arm64 early-boot program by the modules' ELF machine (from the build tree,
# and from LIBDIR/initoverlayfs/arm64/ once installed with cmake --install);
# --inspect shows it; every module and /init in the mini initramfs are
# AArch64. Refused, leaving the earlier pair as it was: this machine's
# program for the arm64 kernel, the arm64 program for an x86-64 kernel,
# --arch contradicting the modules, no input (dracut would fill the image
# with x86-64 programs) and this machine's busybox as the rescue shell; and, installed without the arm64 program, the
# error names the machine and where the builder looked.
# Usage: arm64_pair_build.sh BUILDER BUILD_DIR
. "$(dirname "$0")/lib/setup_arm64.sh"
BUILD_DIR=$(realpath "${2:?usage: $0 BUILDER BUILD_DIR}")
X86_PROGRAM=$BUILD_DIR/initoverlayfs
boot_kernels_fetch || boot_fail "could not fetch the x86-64 test kernels"
K612_MODDIR=$K612_DIR/lib/modules/$K612_VER
pair_payload "$SCRATCH/payload"
[[ $(elf_machine "$SCRATCH/payload/bin/busybox") == 183 ]] || boot_fail "the payload's busybox is not AArch64"
version=$("$BUILDER" --version | cut -d' ' -f2)

# q TEXT: TEXT as an ERE matching itself (kernel versions have "+").
q() { sed 's/[][\\.*^$+?(){}|]/\\&/g' <<<"$1"; }
# expect_in TEXT ERE WHAT
expect_in() { grep -qE -- "$2" <<<"$1" || { printf '%s\n' "$1" >&2; boot_fail "no line matching /$2/ ($3)"; }; }
# tree_sum DIR: one checksum of every file in DIR, names included.
tree_sum() { (cd "$1" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum); }
# refused WHAT ERE BUILDER-ARGS...: the builder fails with a line matching
# ERE and leaves the output directory $out as it was.
refused() {
	local what=$1 re=$2 before log rc=0
	shift 2
	before=$(tree_sum "$out")
	log=$("$BUILDER" -f --output-dir "$out" --bootfs LABEL=iofsboot --bootfstype ext4 "$@" 2>&1) || rc=$?
	((rc == 1)) || { printf '%s\n' "$log" >&2; boot_fail "$what: exit status $rc, not 1"; }
	expect_in "$log" "^initoverlayfs-install: error: $re" "$what"
	[[ $(tree_sum "$out") == "$before" ]] || boot_fail "$what: the output directory changed"
	boot_log "refused, $what: ${log#initoverlayfs-install: error: }"
}

for k in 61 612; do
	ver_var=A${k}_VER moddir_var=A${k}_MODDIR
	kver=${!ver_var} moddir=${!moddir_var}
	out=$SCRATCH/out-$k
	mkdir -p "$out"
	log=$("$BUILDER" -v -f --kver "$kver" --moddir "$moddir" --output-dir "$out" \
		--rootdir "$SCRATCH/payload" --bootfs LABEL=iofsboot --bootfstype ext4 2>&1) ||
		{ printf '%s\n' "$log" >&2; boot_fail "$kver: the build failed"; }
	expect_in "$log" "modules are for arm64 \(AArch64\) \($(q "$moddir")/kernel/" "$kver: the modules' machine read"
	expect_in "$log" "/init from $(q "$ARM64_PROGRAM")\$" "$kver: the build tree's arm64 program chosen"
	expect_in "$log" "kernel config .*/boot/config-$(q "$kver") reads lz4hc EROFS\$" "$kver: the package's kernel config checked"
	mini=$out/initramfs-$kver.img
	report=$("$BUILDER" --inspect "$mini" 2>&1) || { printf '%s\n' "$report" >&2; boot_fail "$kver: --inspect failed"; }
	expect_in "$report" "^early-boot program: initoverlayfs $(q "$version"), AArch64, static\$" "$kver: --inspect shows the arm64 program"
	expect_in "$report" "^result: OK: " "$kver: --inspect finds the pair good"
	# What the kernel will unpack: /init and every module for AArch64.
	rm -rf "$SCRATCH/unpacked"
	mkdir "$SCRATCH/unpacked"
	(cd "$SCRATCH/unpacked" && zstd -dcq "$mini" | cpio -id --quiet)
	[[ $(elf_machine "$SCRATCH/unpacked/init") == 183 ]] || boot_fail "$kver: /init is not AArch64"
	cmp -s "$SCRATCH/unpacked/init" "$ARM64_PROGRAM" || boot_fail "$kver: /init is not $ARM64_PROGRAM"
	n=0
	while IFS= read -r -d '' ko; do
		case $ko in
		*.ko.xz) xz -dc "$ko" >"$SCRATCH/obj" ;;
		*.ko) cp "$ko" "$SCRATCH/obj" ;;
		*) boot_fail "$kver: unexpected module file $ko" ;;
		esac
		[[ $(elf_machine "$SCRATCH/obj") == 183 ]] || boot_fail "$kver: $ko is not AArch64"
		n=$((n + 1))
	done < <(find "$SCRATCH/unpacked/lib/modules" -name '*.ko*' -print0)
	((n > 10)) || boot_fail "$kver: only $n modules in the mini initramfs"
	boot_log "$kver: pair built, /init and $n modules AArch64 ($(grep -m1 '^  mini initramfs' <<<"$log" | tr -s ' '))"
done
# Debian 12's 6.1 reads no file-backed EROFS: the builder must still make
# the pair (the program falls back to a loop device, which it carries).
grep -q '^CONFIG_EROFS_FS_BACKED_BY_FILE=y' "$A61_DIR/boot/config-$A61_VER" &&
	boot_fail "$A61_VER has file-backed EROFS; this test expects the loop path"
find "$SCRATCH/out-61" -name 'initramfs-*' -exec sh -c 'zstd -dcq "$1" | cpio -t --quiet' _ {} \; |
	grep -q '/loop\.ko' || boot_fail "$A61_VER: no loop module in the mini initramfs"

# Refusals, each leaving the arm64 6.12 pair as it was.
out=$SCRATCH/out-612
refused "x86-64 program for the arm64 kernel" \
	"refusing the early-boot program $(q "$X86_PROGRAM"): it is for x86_64 \(x86-64\), but the modules of $(q "$A612_VER") in $(q "$A612_MODDIR") are for arm64 \(AArch64\), whose kernel could not run it\$" \
	--kver "$A612_VER" --moddir "$A612_MODDIR" --rootdir "$SCRATCH/payload" --early-boot-program "$X86_PROGRAM"
refused "--arch x86_64 for arm64 modules" \
	"--arch x86_64: the modules of $(q "$A612_VER") in .* are for arm64 \(AArch64\)" \
	--kver "$A612_VER" --moddir "$A612_MODDIR" --rootdir "$SCRATCH/payload" --arch x86_64
refused "no input for the arm64 kernel" \
	"no --initramfs or --rootdir: dracut or mkinitramfs would make the image here, with this machine's programs, for x86_64 \(x86-64\)" \
	--kver "$A612_VER" --moddir "$A612_MODDIR"
# --rescue-shell takes this machine's /bin/busybox by default: refused next
# to the arm64 program; the arm64 busybox is taken.
refused "this machine's busybox as the arm64 rescue shell" \
	"--rescue-shell: /bin/busybox is for x86_64 \(x86-64\), the early-boot program for arm64 \(AArch64\); give a static busybox" \
	--kver "$A612_VER" --moddir "$A612_MODDIR" --rootdir "$SCRATCH/payload" --rescue-shell
"$BUILDER" -f --output-dir "$out" --bootfs LABEL=iofsboot --bootfstype ext4 --kver "$A612_VER" \
	--moddir "$A612_MODDIR" --rootdir "$SCRATCH/payload" --rescue-busybox "$ARM64_BUSYBOX" >/dev/null ||
	boot_fail "--rescue-busybox with the arm64 busybox refused"
# --arch agreeing with the modules (the kernel's name for it) is taken.
"$BUILDER" -f --output-dir "$out" --bootfs LABEL=iofsboot --bootfstype ext4 --kver "$A612_VER" \
	--moddir "$A612_MODDIR" --rootdir "$SCRATCH/payload" --arch aarch64 >/dev/null ||
	boot_fail "--arch aarch64 with arm64 modules refused"
# The reverse: the arm64 program for an x86-64 kernel.
out=$SCRATCH/out-x86
mkdir -p "$out"
pair_build "$K612_MODDIR" "$K612_VER" "$out" --rootdir "$SCRATCH/payload" --bootfs LABEL=iofsboot --bootfstype ext4 2>/dev/null
refused "arm64 program for the x86-64 kernel" \
	"refusing the early-boot program $(q "$ARM64_PROGRAM"): it is for arm64 \(AArch64\), but the modules of $(q "$K612_VER") in $(q "$K612_MODDIR") are for x86_64 \(x86-64\)" \
	--kver "$K612_VER" --moddir "$K612_MODDIR" --rootdir "$SCRATCH/payload" --early-boot-program "$ARM64_PROGRAM"

# Installed: cmake --install puts the arm64 program in lib/initoverlayfs/arm64/,
# where the installed builder finds it; this machine's program stays in sbin.
prefix=$SCRATCH/prefix
cmake --install "$BUILD_DIR" --prefix "$prefix" >/dev/null
[[ -x $prefix/lib/initoverlayfs/arm64/initoverlayfs ]] || boot_fail "cmake --install put no lib/initoverlayfs/arm64/initoverlayfs"
installed=$prefix/bin/initoverlayfs-install
for k in 612 x86; do
	if [[ $k == x86 ]]; then kver=$K612_VER moddir=$K612_MODDIR want=$prefix/sbin/initoverlayfs
	else kver=$A612_VER moddir=$A612_MODDIR want=$prefix/lib/initoverlayfs/arm64/initoverlayfs; fi
	log=$("$installed" -v -f --kver "$kver" --moddir "$moddir" --output-dir "$SCRATCH/out-$k" \
		--rootdir "$SCRATCH/payload" --bootfs LABEL=iofsboot --bootfstype ext4 2>&1) ||
		{ printf '%s\n' "$log" >&2; boot_fail "installed builder, $kver: the build failed"; }
	expect_in "$log" "/init from $(q "$want")\$" "installed builder, $kver: /init from $want"
done
rm "$prefix/lib/initoverlayfs/arm64/initoverlayfs"
BUILDER=$installed
out=$SCRATCH/out-612
refused "installed without the arm64 program" \
	"find the early-boot program: none for arm64 \(AArch64\) \(the modules of $(q "$A612_VER") in .*\); looked at $(q "$prefix")/lib/initoverlayfs/arm64/initoverlayfs \(none\), $(q "$prefix")/bin/aarch64/initoverlayfs \(none\), $(q "$prefix")/sbin/initoverlayfs \(for x86_64 \(x86-64\)\), $(q "$prefix")/bin/initoverlayfs \(none\); build initoverlayfs with -DIOFS_ARM64=ON" \
	--kver "$A612_VER" --moddir "$A612_MODDIR" --rootdir "$SCRATCH/payload"
echo "PASS: $BOOT_TEST_NAME"
