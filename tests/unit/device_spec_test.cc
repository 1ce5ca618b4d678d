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
