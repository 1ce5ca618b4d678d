#include <sys/mount.h>

#include <gtest/gtest.h>

#include "init/mounts.h"

using namespace iofs;

TEST(MountOptions, FlagsAndData) {
  auto o = parse_mount_options("ro,noatime,errors=remount-ro,,nodev");
  EXPECT_EQ(o.flags, static_cast<unsigned long>(MS_RDONLY | MS_NOATIME | MS_NODEV));
  EXPECT_EQ(o.data, "errors=remount-ro");
  auto rw = parse_mount_options("ro,rw");
  EXPECT_EQ(rw.flags, 0u);
  EXPECT_EQ(parse_mount_options("").flags, 0u);
}

TEST(MountOptions, LowerLayersNeverReplay) {
  EXPECT_EQ(lower_mount_data("ext4"), "noload");
  EXPECT_EQ(lower_mount_data("btrfs"), "rescue=nologreplay");
  EXPECT_EQ(lower_mount_data("erofs"), "");
  EXPECT_EQ(lower_mount_data("squashfs"), "");
  EXPECT_EQ(lower_mount_data("erofs", "dax=always"), "dax=always");
  EXPECT_EQ(lower_mount_data("ext4", "errors=panic"), "noload,errors=panic");
}
