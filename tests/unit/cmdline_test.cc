#include "core/cmdline.h"

#include <gtest/gtest.h>

#include "samples.h"

using namespace iofs;
using Setting = std::pair<std::string, std::string>;

TEST(Cmdline, KernelQuotingAndDoubleDash) {
  auto params = parse_kernel_cmdline(read_sample("cmdline.debian"));
  CmdlineSettings s = extract_settings(params);
  ASSERT_EQ(s.overrides.size(), 4u);
  EXPECT_EQ(s.overrides[0], Setting("timeout", "5"));
  EXPECT_EQ(s.overrides[1],
            Setting("bootfs", "LABEL=my boot"));
  EXPECT_EQ(s.overrides[2], Setting("onfailure", "poweroff"));
  // A bare flag means "on".
  EXPECT_EQ(s.overrides[3], Setting("debug", ""));
  EXPECT_EQ(s.rdinit, "/sbin/initoverlayfs");
  // Everything after "--" belongs to init, not to us.
  for (const auto& p : params) EXPECT_NE(p.key, "single");
}

TEST(Cmdline, EmptyAndWhitespace) {
  EXPECT_TRUE(parse_kernel_cmdline("").empty());
  EXPECT_TRUE(parse_kernel_cmdline(" \n\t ").empty());
}

TEST(Cmdline, UnterminatedQuoteTakesTheRest) {
  auto p = parse_kernel_cmdline("a=\"b c");
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].value, "b c");
}

TEST(Cmdline, PrefixAloneIsNotASetting) {
  auto s = extract_settings(parse_kernel_cmdline("initoverlayfs.=x initoverlayfs xinitoverlayfs.fs=y"));
  EXPECT_TRUE(s.overrides.empty());
}

using ModuleOption = std::pair<std::string, std::string>;

// What kmod takes from /proc/cmdline for the modules modprobe loads.
TEST(Cmdline, ModuleParametersAsModprobeReadsThem) {
  ModuleCmdline m = extract_module_cmdline(parse_kernel_cmdline(
      "root=/dev/vda1 overlay.redirect_always_follow=N virtio-blk.num_request_queues=1 "
      "\"dummy.name=two words\" dummy.flag nvme_core.x=\"a\tb\" "
      "rd.driver.blacklist=x a.b.c=1 .x=1 x.=1 quiet -- after.dash=1"));
  EXPECT_EQ(m.options, (std::vector<ModuleOption>{{"overlay", "redirect_always_follow=N"},
                                                  {"virtio_blk", "num_request_queues=1"},
                                                  {"dummy", "name=\"two words\""},
                                                  {"dummy", "flag"},
                                                  {"nvme_core", "x=\"a\tb\""}}));
  EXPECT_TRUE(m.blacklist.empty());
}

TEST(Cmdline, ModprobeBlacklistListsAddUp) {
  ModuleCmdline m = extract_module_cmdline(parse_kernel_cmdline(
      "modprobe.blacklist=nouveau,virtio-scsi,, modprobe.blacklist modprobe.blacklist=ahci "
      "modprobe.other=1"));
  EXPECT_EQ(m.blacklist, (std::vector<std::string>{"nouveau", "virtio_scsi", "ahci"}));
  EXPECT_TRUE(m.options.empty()) << "modprobe.* is modprobe's own, no module's";
}
