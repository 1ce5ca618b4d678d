#include "builder/device_aliases.h"

#include <gtest/gtest.h>

#include "samples.h"

using namespace iofs;

TEST(DeviceAliases, BusPatternsOnlyOfTheNamedModules) {
  auto a = device_aliases(read_sample("modules/6.12.modules.alias"),
                          {"virtio_blk", "sd_mod", "loop", "usb_storage", "sdhci_acpi", "mmc_block"});
  EXPECT_EQ(a.at("virtio_blk"), (std::vector<std::string>{"virtio:d00000002v*"}));
  // char-major-, block-major- name device nodes, not devices; loop is
  // wanted by its /dev/loop-control name only.
  EXPECT_EQ(a.at("loop"), (std::vector<std::string>{"devname:loop-control"}));
  EXPECT_FALSE(a.contains("virtio_scsi"));  // not asked for
  EXPECT_NE(std::find(a.at("sd_mod").begin(), a.at("sd_mod").end(), "scsi:t-0x0e*"), a.at("sd_mod").end());
  EXPECT_EQ(a.at("usb_storage").front(), "usb:v*p*d*dc*dsc*dp*ic08isc06ip50in*");
  EXPECT_EQ(a.at("sdhci_acpi").front(), "acpi*:AMDI0041:*");  // "acpi*" is still acpi
  EXPECT_EQ(a.at("mmc_block"), (std::vector<std::string>{"mmc:block"}));
}

TEST(DeviceAliases, GarbageLinesAreSkipped) {
  auto a = device_aliases("alias\nalias pci:x\nnot an alias line at all\nalias pci:v*d* a-b c\n"
                          "alias pci:v1* a-b\n\xff\xfe",
                          {"a_b"});
  EXPECT_EQ(a.at("a_b"), (std::vector<std::string>{"pci:v1*"}));
}
