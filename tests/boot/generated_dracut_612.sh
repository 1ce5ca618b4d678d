#!/usr/bin/env bash
# No input given: the builder runs dracut for the kernel (--kmoddir from
# --moddir) and converts what it makes. Booted, initoverlayfs must hand over
# to dracut's own init (systemd in the initrd), which announces itself.
# dracut then waits for a root filesystem that this test does not give it,
# so QEMU is stopped after the announcement.
. "$(dirname "$0")/lib/setup.sh"
command -v dracut >/dev/null || boot_fail "dracut is not installed (scripts/install-deps.sh installs dracut-core)"
uuid=$(cat /proc/sys/kernel/random/uuid)
pair_build "$K612_MODDIR" "$K612_VER" "$SCRATCH/out" --bootfs "UUID=$uuid" --bootfstype ext4
grep -q "input           .*initramfs.img ([0-9.]* MiB, " "$SCRATCH/out.summary" || boot_fail "summary does not show the generated input"
pair_disk "$SCRATCH/out" "$SCRATCH/disk.img" boot "$uuid"
log=$SCRATCH/console.log
rc=0
QEMU_TIMEOUT=120 qemu_boot "$K612_KERNEL" "$SCRATCH/out/initramfs-$K612_VER.img" "$log" \
	rd.shell=0 rd.emergency=poweroff -- -drive "file=$SCRATCH/disk.img,format=raw,if=virtio" || rc=$?
console_expect "$log" 'initoverlayfs: ready in [0-9]+ ms' "initoverlayfs switched root"
console_expect "$log" 'systemd\[1\]: Running in initrd' "dracut's systemd runs from the image"
console_reject "$log" 'Kernel panic' "no kernel panic"
echo "PASS: $BOOT_TEST_NAME (qemu rc=$rc)"
