#include "builder/bootfs.h"

#include <gtest/gtest.h>

using namespace iofs;

static const char* kMountinfo =
    "22 1 254:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw\n"
    "30 22 254:2 / /boot rw,relatime shared:2 - ext4 /dev/vda2 rw\n"
    "31 30 254:3 / /boot/efi rw - vfat /dev/vda3 rw\n"
    "40 22 0:5 / /tmp rw - tmpfs tmpfs rw\n"
    "41 22 254:4 /@home /home\\040dir rw - btrfs /dev/vdb rw\n"
    "garbage line\n"
    "42 22 0:6 / /x rw shared:9 master:3\n";

TEST(Bootfs, Mountinfo) {
  auto m = parse_mountinfo(kMountinfo);
  ASSERT_EQ(m.size(), 5u);
  EXPECT_EQ(m[1].mountpoint, "/boot");
  EXPECT_EQ(m[1].source, "/dev/vda2");
  EXPECT_EQ(m[4].mountpoint, "/home dir");  // octal escape
  EXPECT_EQ(m[4].root, "/@home");
}

TEST(Bootfs, MountContaining) {
  auto m = parse_mountinfo(kMountinfo);
  EXPECT_EQ(mount_containing(m, "/boot")->source, "/dev/vda2");
  EXPECT_EQ(mount_containing(m, "/boot/grub")->source, "/dev/vda2");
  EXPECT_EQ(mount_containing(m, "/boot/efi/EFI")->source, "/dev/vda3");
  EXPECT_EQ(mount_containing(m, "/bootx")->source, "/dev/vda1");  // not a prefix match
  EXPECT_EQ(mount_containing(m, "/tmp/a")->fstype, "tmpfs");
}

TEST(Bootfs, PathOnFilesystem) {
  auto m = parse_mountinfo(kMountinfo);
  EXPECT_EQ(path_on_filesystem(m[1], "/boot"), "/");
  EXPECT_EQ(path_on_filesystem(m[1], "/boot/sub"), "/sub");
  EXPECT_EQ(path_on_filesystem(m[0], "/boot2/x"), "/boot2/x");
  EXPECT_EQ(path_on_filesystem(m[4], "/home dir/a"), "/@home/a");  // subvolume
}

TEST(Bootfs, Fstab) {
  auto f = parse_fstab(
      "# comment\n\nUUID=abc / ext4 errors=remount-ro 0 1\n"
      "LABEL=boot\t/boot ext4 defaults 0 2\n/dev/sr0 /media/cd\\040rom udf\nonlyonefield\n");
  ASSERT_EQ(f.size(), 3u);
  EXPECT_EQ(f[1].spec, "LABEL=boot");
  EXPECT_EQ(f[1].mountpoint, "/boot");
  EXPECT_EQ(f[2].mountpoint, "/media/cd rom");
}

// The fstab entry that decides where /boot lives: the closest mount point
// holding the directory, so that "/boot" in fstab with only "/" mounted
// (a chroot, an image being built) is seen.
TEST(Bootfs, FstabEntryHolding) {
  auto fstab = parse_fstab(
      "LABEL=root / ext4 errors=remount-ro 0 1\n"
      "UUID=b /boot/ ext4 defaults 0 2\n"
      "UUID=e /boot/efi vfat umask=0077 0 1\n"
      "/swapfile none swap sw 0 0\n");
  ASSERT_EQ(fstab.size(), 4u);
  EXPECT_EQ(fstab_entry_holding(fstab, "/boot")->spec, "UUID=b");
  EXPECT_EQ(fstab_entry_holding(fstab, "/boot/grub")->spec, "UUID=b");
  EXPECT_EQ(fstab_entry_holding(fstab, "/boot/efi/EFI")->spec, "UUID=e");
  EXPECT_EQ(fstab_entry_holding(fstab, "/bootx")->spec, "LABEL=root");
  EXPECT_EQ(fstab_entry_holding(fstab, "/")->spec, "LABEL=root");
  EXPECT_EQ(fstab_entry_holding(parse_fstab("/swapfile none swap sw 0 0\n"), "/boot"), nullptr);
}

// md RAID, LVM, dm-crypt: nothing in the mini initramfs assembles them.
TEST(Bootfs, StackingKind) {
  EXPECT_EQ(stacking_kind(false, false, ""), "");
  EXPECT_EQ(stacking_kind(true, false, ""), "md RAID");
  EXPECT_EQ(stacking_kind(false, true, "LVM-abcdef"), "LVM");
  EXPECT_EQ(stacking_kind(false, true, "CRYPT-LUKS2-0123-root"), "dm-crypt");
  EXPECT_EQ(stacking_kind(false, true, ""), "device-mapper");
  EXPECT_EQ(stacking_of("/dev/does-not-exist"), "");
}
