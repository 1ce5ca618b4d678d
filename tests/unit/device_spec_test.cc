#include "core/device_spec.h"

#include <gtest/gtest.h>

using namespace iofs;

TEST(DeviceSpec, AllForms) {
  auto u = parse_device_spec("UUID=AbC-1");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->key, DeviceKey::uuid);
  EXPECT_EQ(u->blkid_tag(), "UUID");
  EXPECT_TRUE(u->matches("abc-1"));  // UUIDs compare without case
  EXPECT_FALSE(u->matches("abc-12"));
  auto l = parse_device_spec("LABEL=\"my boot\"");
  ASSERT_TRUE(l);
  EXPECT_EQ(l->value, "my boot");
  EXPECT_FALSE(l->matches("MY BOOT"));  // labels are exact
  EXPECT_EQ(parse_device_spec("PARTUUID=1-2")->blkid_tag(), "PART_ENTRY_UUID");
  EXPECT_EQ(parse_device_spec("PARTLABEL=boot_a")->blkid_tag(), "PART_ENTRY_NAME");
  auto p = parse_device_spec("/dev/vda1");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->key, DeviceKey::path);
  EXPECT_EQ(p->to_string(), "/dev/vda1");
  EXPECT_EQ(l->to_string(), "LABEL=my boot");
}

TEST(DeviceSpec, Rejects) {
  for (const char* bad : {"", "UUID=", "LABEL=\"\"", "vda1", "/dev/", "uuid=abc", "/etc/fstab"}) {
    auto r = parse_device_spec(bad);
    EXPECT_FALSE(r) << bad;
    if (!r) {
      EXPECT_EQ(r.error().op, "bad device");
    }
  }
}

// fstab often names /boot by udev's links, which init mode has no udev to
// make: the builder wrote such a path into the config verbatim, and the
// boot waited 30 s for a device that never matched.
TEST(DeviceSpec, UdevLinksAreTheirTags) {
  auto u = parse_device_spec("/dev/disk/by-uuid/0a1b-2C3d");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->key, DeviceKey::uuid);
  EXPECT_EQ(u->to_string(), "UUID=0a1b-2C3d");
  auto l = parse_device_spec("/dev/disk/by-label/my\\x20boot\\x2fa");
  ASSERT_TRUE(l);
  EXPECT_EQ(l->key, DeviceKey::label);
  EXPECT_EQ(l->value, "my boot/a");
  EXPECT_EQ(parse_device_spec("/dev/disk/by-partuuid/5-6")->to_string(), "PARTUUID=5-6");
  EXPECT_EQ(parse_device_spec("/dev/disk/by-partlabel/boot_a")->to_string(), "PARTLABEL=boot_a");
  // A lone backslash or a short escape stays as it is.
  EXPECT_EQ(parse_device_spec("/dev/disk/by-label/a\\x2")->value, "a\\x2");
  // Links udev makes from other things stay paths.
  EXPECT_EQ(parse_device_spec("/dev/disk/by-id/virtio-abc")->key, DeviceKey::path);
  for (const char* bad : {"/dev/disk/by-uuid/", "/dev/disk/by-label/a/b"})
    EXPECT_FALSE(parse_device_spec(bad)) << bad;
}
