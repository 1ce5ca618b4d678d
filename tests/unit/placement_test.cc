#include "core/placement.h"

#include <gtest/gtest.h>

#include "core/config.h"

using namespace iofs;

namespace {
constexpr Placement kAll[] = {Placement::bootfs, Placement::partition, Placement::initrd,
                              Placement::pmem, Placement::virtio_pmem};
}

TEST(Placement, EachNameParsesBackToItsPlacement) {
  for (Placement p : kAll) {
    SCOPED_TRACE(to_string(p));
    EXPECT_EQ(placement_info(p).placement, p);
    EXPECT_EQ(parse_placement(to_string(p)), p);
  }
  EXPECT_EQ(parse_placement("virtio_pmem"), std::nullopt);
  EXPECT_EQ(parse_placement(""), std::nullopt);
  EXPECT_EQ(placement_names(), "bootfs, partition, initrd, pmem or virtio-pmem");
}

// The early-boot program knows three; the pmem placements are partitions
// to it, and its config parser refuses their names.
TEST(Placement, TheConfigGetsAPlacementTheEarlyBootProgramKnows) {
  EXPECT_EQ(config_placement_names(), "bootfs, partition or initrd");
  for (Placement p : kAll) {
    SCOPED_TRACE(to_string(p));
    Placement in_config = placement_info(p).in_config;
    EXPECT_EQ(parse_config_placement(to_string(in_config)), in_config);
    EXPECT_EQ(placement_info(in_config).in_config, in_config);
  }
  EXPECT_EQ(placement_info(Placement::pmem).in_config, Placement::partition);
  EXPECT_EQ(placement_info(Placement::virtio_pmem).in_config, Placement::partition);
  EXPECT_EQ(parse_config_placement("pmem"), std::nullopt);
  Config cfg;
  auto w = apply_setting(cfg, "placement", "virtio-pmem");
  ASSERT_TRUE(w);
  EXPECT_NE(w->find("expected bootfs, partition or initrd"), std::string::npos) << *w;
}

TEST(Placement, OnlyTheBootFilesystemPlacementMountsOne) {
  for (Placement p : kAll) {
    SCOPED_TRACE(to_string(p));
    const PlacementInfo& info = placement_info(p);
    EXPECT_EQ(info.device == ImageDevice::boot_filesystem, p == Placement::bootfs);
    EXPECT_EQ(info.hostonly_allowed, p == Placement::bootfs);
    EXPECT_EQ(info.appended, p == Placement::initrd);
    EXPECT_EQ(info.dax, p == Placement::pmem || p == Placement::virtio_pmem);
  }
}
