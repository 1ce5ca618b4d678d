#!/usr/bin/env bash
# Installs what building and testing initoverlayfs needs on Debian 12.
# Quiet and quick when everything is already there.
set -euo pipefail
pkgs=(
  build-essential cmake pkg-config libgtest-dev   # build
  libblkid-dev                                   # early-boot program (static)
  g++-aarch64-linux-gnu libblkid-dev:arm64       # its arm64 build (IOFS_ARM64), cross
  libarchive-dev libkmod-dev libzstd-dev        # builder
  erofs-utils e2fsprogs util-linux fdisk busybox-static cpio kmod klibc-utils  # images, tests
  zstd lz4 xz-utils gzip bzip2 lzop              # initramfs compressions
  qemu-system-x86                                # boot tests
  qemu-system-arm device-tree-compiler           # arm64 boot tests (qemu-system-aarch64, dtc)
  squashfs-tools btrfs-progs                     # --lowerfs
  dracut-core                                    # builder with no input
  cryptsetup-bin openssl                         # --verity (veritysetup), --verity-sign
  clang-16 libclang-rt-16-dev                    # fuzz tests (libFuzzer; clang 14 lacks what <expected> needs)
  debootstrap dosfstools mtools                  # full-system tests (mtools: a vfat /boot without mounting it)
  ovmf                                           # UEFI firmware: systemd-boot system test, Secure Boot
  systemd-boot-efi sbsigntool                    # --uki: systemd-stub, sbsign/sbverify/sbattach
  dpkg-dev debhelper lintian mandoc              # package tests, man page lint
)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# The :arm64 libraries come from Debian's multiarch lists.
dpkg --print-foreign-architectures | grep -qx arm64 || dpkg --add-architecture arm64
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
