#include "core/mountinfo.h"

#include <gtest/gtest.h>

using namespace iofs;

// As run-init leaves it: 30 the tmpfs root, 31-33 overlays on its
// directories, 40 the real root moved onto "/" of the tmpfs root, 41 a
// mount inside the real root.
constexpr const char* kAfterRunInit =
    "30 1 0:40 / / rw - tmpfs tmpfs rw\n"
    "31 30 0:41 / /usr rw - overlay overlay rw,lowerdir=/run/initoverlayfs/lower/usr\n"
    "32 30 0:42 / /etc rw - overlay overlay rw\n"
    "33 30 0:43 / /scripts rw - overlay overlay rw\n"
    "40 30 8:1 / / rw - ext4 /dev/vda1 rw\n"
    "41 40 0:5 / /proc rw - proc proc rw\n";

TEST(Mountinfo, Parents) {
  auto p = parse_mount_parents(kAfterRunInit);
  ASSERT_EQ(p.size(), 6u);
  EXPECT_EQ(p.at(31), 30);
  EXPECT_EQ(p.at(41), 40);
}

TEST(Mountinfo, RealRootBesideTheOverlaysIsNotWithinThem) {
  auto p = parse_mount_parents(kAfterRunInit);
  for (int overlay : {31, 32, 33}) EXPECT_FALSE(mount_is_within(p, 40, overlay));
  EXPECT_TRUE(mount_is_within(p, 40, 30));
  EXPECT_TRUE(mount_is_within(p, 41, 40));
  EXPECT_TRUE(mount_is_within(p, 41, 41));
}

TEST(Mountinfo, RealRootStillUnderAnOverlay) {
  // Before run-init's move: the real root is mounted on /root inside the
  // overlay 31.
  auto p = parse_mount_parents("30 1 0:40 / / rw - tmpfs t rw\n31 30 0:41 / /root rw - overlay o rw\n"
                               "40 31 8:1 / /root rw - ext4 /dev/vda1 rw\n");
  EXPECT_TRUE(mount_is_within(p, 40, 31));
}

TEST(Mountinfo, GarbledTablesNeverLoopOrCrash) {
  auto p = parse_mount_parents("x y\n\n7\n5 6 junk\n6 5 junk\n-1 2\n9 9 self\n");
  EXPECT_EQ(p.size(), 4u);  // 5, 6, -1, 9
  EXPECT_FALSE(mount_is_within(p, 5, 42));  // 5 -> 6 -> 5 ...
  EXPECT_FALSE(mount_is_within(p, 9, 42));
  EXPECT_FALSE(mount_is_within(p, 1234, 42));
}
