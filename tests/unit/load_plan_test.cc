#include "core/load_plan.h"

#include <gtest/gtest.h>

#include "samples.h"

using namespace iofs;

TEST(LoadPlan, ParsesInOrderWithDependencies) {
  auto plan = parse_load_plan(read_sample("plan.good"));
  ASSERT_TRUE(plan) << plan.error().message();
  ASSERT_EQ(plan->size(), 10u);
  EXPECT_EQ((*plan)[3].path, "kernel/fs/ext4/ext4.ko.xz");
  EXPECT_EQ((*plan)[3].deps, (std::vector<size_t>{0, 1, 2}));
  EXPECT_TRUE((*plan)[4].deps.empty());  // a line without ':' is fine
  EXPECT_EQ((*plan)[7].deps, (std::vector<size_t>{6}));
  // After "pre:": soft dependencies, ordering only.
  EXPECT_EQ((*plan)[9].deps, (std::vector<size_t>{1}));
  EXPECT_EQ((*plan)[9].after, (std::vector<size_t>{5}));
}

TEST(LoadPlan, SoftDependencyMustAlsoComeFirst) {
  auto p = parse_load_plan("kernel/a.ko: pre: kernel/b.ko\nkernel/b.ko:\n");
  ASSERT_FALSE(p);
  EXPECT_NE(p.error().detail.find("line 1: dependency kernel/b.ko"), std::string::npos);
}

// The plan the builder writes reads back as the same plan: every module,
// hard and soft dependency and alias in place.
TEST(LoadPlan, WrittenPlanReadsBackAsTheSamePlan) {
  auto good = parse_load_plan(read_sample("plan.good"));
  ASSERT_TRUE(good) << good.error().message();
  std::vector<std::vector<PlannedModule>> plans = {{}, *good};
  plans.push_back({{"kernel/scsi_mod.ko", {}, {}, {}},
                   {"kernel/ahci.ko", {0}, {}, {"pci:v*d*sv*sd*bc01sc06i01*", "pci:v00008086d*"}},
                   {"kernel/crc32c-intel.ko", {}, {}, {}},
                   {"kernel/btrfs.ko", {0}, {2}, {}},
                   {"kernel/virtio_blk.ko", {}, {}, {"virtio:d00000002v*"}}});
  for (const auto& plan : plans) {
    std::string text = format_load_plan(plan);
    auto again = parse_load_plan(text);
    ASSERT_TRUE(again) << again.error().message() << "\n" << text;
    EXPECT_TRUE(*again == plan) << text;
  }
}

// The bytes of a plan, as the early-boot program of an older release reads them.
TEST(LoadPlan, WrittenPlanIsStable) {
  auto plan = parse_load_plan(
      "kernel/a.ko\nkernel/b.ko: kernel/a.ko\nalias pci:v1* kernel/b.ko\n"
      "kernel/c.ko: kernel/a.ko pre: kernel/b.ko\n");
  ASSERT_TRUE(plan) << plan.error().message();
  EXPECT_EQ(format_load_plan(*plan),
            "# initoverlayfs module load plan: PATH: DEPENDENCIES pre: SOFT DEPENDENCIES\n"
            "kernel/a.ko:\n"
            "kernel/b.ko: kernel/a.ko\n"
            "alias pci:v1* kernel/b.ko\n"
            "kernel/c.ko: kernel/a.ko pre: kernel/b.ko\n");
}

TEST(LoadPlan, RejectsBadPlansNamingTheLine) {
  auto fwd = parse_load_plan(read_sample("plan.forward"));
  ASSERT_FALSE(fwd);
  EXPECT_NE(fwd.error().detail.find("line 1: dependency kernel/fs/jbd2/jbd2.ko.xz"),
            std::string::npos);
  auto trav = parse_load_plan(read_sample("plan.traversal"));
  ASSERT_FALSE(trav);
  EXPECT_NE(trav.error().detail.find("line 2: bad module path"), std::string::npos);
  auto dup = parse_load_plan(read_sample("plan.duplicate"));
  ASSERT_FALSE(dup);
  EXPECT_NE(dup.error().detail.find("listed twice"), std::string::npos);
  EXPECT_FALSE(parse_load_plan(read_sample("plan.garbled")));
  EXPECT_FALSE(parse_load_plan("/lib/modules/x/kernel/a.ko:\n"));  // absolute
  EXPECT_FALSE(parse_load_plan("kernel/a.txt:\n"));                // not a module
}

TEST(LoadPlan, EmptyPlanIsValid) {
  auto plan = parse_load_plan("# nothing\n\n");
  ASSERT_TRUE(plan);
  EXPECT_TRUE(plan->empty());
}

TEST(LoadPlan, ModuleNames) {
  EXPECT_EQ(module_name("kernel/arch/x86/crypto/crc32c-intel.ko.xz"), "crc32c_intel");
  EXPECT_EQ(module_name("virtio_blk.ko"), "virtio_blk");
  EXPECT_EQ(module_name("kernel/fs/erofs/erofs.ko.zst"), "erofs");
}

// modprobe.d's options travel in the plan as they are: spaces and quotes
// inside, several lines adding up; a blacklist mark too.
TEST(LoadPlan, OptionsAndBlacklistReadBack) {
  auto plan = parse_load_plan(
      "kernel/dummy.ko:\n"
      "options kernel/dummy.ko name=\"two words\"\tplain=1\n"
      "options\tkernel/dummy.ko   more=2  \n"
      "kernel/virtio_scsi.ko:\n"
      "alias virtio:d00000008v* kernel/virtio_scsi.ko\n"
      "blacklist kernel/virtio_scsi.ko\n");
  ASSERT_TRUE(plan) << plan.error().message();
  ASSERT_EQ(plan->size(), 2u);
  EXPECT_EQ((*plan)[0].options, "name=\"two words\"\tplain=1 more=2");
  EXPECT_FALSE((*plan)[0].blacklisted);
  EXPECT_TRUE((*plan)[1].options.empty());
  EXPECT_TRUE((*plan)[1].blacklisted);
  auto again = parse_load_plan(format_load_plan(*plan));
  ASSERT_TRUE(again) << again.error().message();
  EXPECT_TRUE(*again == *plan) << format_load_plan(*plan);
}

TEST(LoadPlan, OptionsAndBlacklistBytes) {
  std::vector<PlannedModule> plan = {{"kernel/a.ko", {}, {}, {"pci:v1*"}, "x=\"a b\" y=1", true}};
  EXPECT_EQ(format_load_plan(plan),
            "# initoverlayfs module load plan: PATH: DEPENDENCIES pre: SOFT DEPENDENCIES\n"
            "kernel/a.ko:\n"
            "alias pci:v1* kernel/a.ko\n"
            "options kernel/a.ko x=\"a b\" y=1\n"
            "blacklist kernel/a.ko\n");
}

// A newline in the options would end the line and make the rest of it a
// line the early-boot program cannot read: the whole plan would be lost.
TEST(LoadPlan, ControlCharactersInOptionsAreWrittenAsSpaces) {
  std::vector<PlannedModule> plan = {{"kernel/a.ko", {}, {}, {}, "x=1\nkernel/b.ko:\r"}};
  auto again = parse_load_plan(format_load_plan(plan));
  ASSERT_TRUE(again) << again.error().message();
  ASSERT_EQ(again->size(), 1u);
  EXPECT_EQ((*again)[0].options, "x=1 kernel/b.ko:");
}

TEST(LoadPlan, RejectsGarbledOptionsAndBlacklistLines) {
  const char* bad[] = {
      "kernel/a.ko:\noptions kernel/a.ko\n",             // no parameters
      "kernel/a.ko:\noptions kernel/b.ko x=1\n",         // not listed
      "kernel/a.ko:\noptions kernel/a.ko x=\x01\n",      // control character
      "kernel/a.ko:\nblacklist\n",                        // no path
      "kernel/a.ko:\nblacklist kernel/a.ko extra\n",     // too many words
      "kernel/a.ko:\nblacklist kernel/b.ko\n",           // not listed
  };
  for (const char* text : bad) {
    auto p = parse_load_plan(text);
    EXPECT_FALSE(p) << text;
    if (!p) {
      EXPECT_NE(p.error().detail.find("line 2"), std::string::npos) << p.error().detail;
    }
  }
  auto after = parse_load_plan("options kernel/a.ko x=1\nkernel/a.ko:\n");  // listed after
  ASSERT_FALSE(after);
  EXPECT_NE(after.error().detail.find("line 1: options for kernel/a.ko, which is not listed before"),
            std::string::npos);
  // A module may be called "options.ko"; only "options " starts an options line.
  auto p = parse_load_plan("kernel/options.ko:\n");
  ASSERT_TRUE(p) << p.error().message();
  EXPECT_TRUE((*p)[0].options.empty());
}

// An older builder's plan: no options, nothing blacklisted.
TEST(LoadPlan, PlanWithoutOptionsLinesReadsAsBefore) {
  auto plan = parse_load_plan(read_sample("plan.good"));
  ASSERT_TRUE(plan) << plan.error().message();
  for (const PlannedModule& m : *plan) {
    EXPECT_TRUE(m.options.empty()) << m.path;
    EXPECT_FALSE(m.blacklisted) << m.path;
  }
}

TEST(LoadPlan, BlacklistedModuleMatchesOnlyTheProgramsOwnRequests) {
  PlannedModule m{"kernel/loop.ko", {}, {}, {"devname:loop-control", "pci:v1*"}};
  EXPECT_TRUE(matches_device(m, "pci:v1d2"));
  m.blacklisted = true;
  EXPECT_FALSE(matches_device(m, "pci:v1d2"));
  EXPECT_TRUE(matches_device(m, "devname:loop-control"));
}

// MODULE.PARAM=VALUE after modprobe.d's options (the kernel keeps the last
// of a parameter given twice); '-' and '_' alike in the module's name.
TEST(LoadPlan, KernelCommandLineAddsOptionsAndBlacklists) {
  auto plan = parse_load_plan(
      "kernel/fs/overlayfs/overlay.ko.xz:\n"
      "options kernel/fs/overlayfs/overlay.ko.xz redirect_always_follow=N\n"
      "kernel/drivers/block/virtio_blk.ko.xz:\n"
      "kernel/drivers/scsi/virtio_scsi.ko.xz:\n"
      "alias virtio:d00000008v* kernel/drivers/scsi/virtio_scsi.ko.xz\n");
  ASSERT_TRUE(plan) << plan.error().message();
  apply_module_cmdline(*plan, extract_module_cmdline(parse_kernel_cmdline(
                                  "overlay.redirect_always_follow=Y virtio-blk.num_request_queues=1 "
                                  "virtio_blk.queue_depth=\"6 4\" modprobe.blacklist=virtio-scsi")));
  EXPECT_EQ((*plan)[0].options, "redirect_always_follow=N redirect_always_follow=Y");
  EXPECT_EQ((*plan)[1].options, "num_request_queues=1 queue_depth=\"6 4\"");
  EXPECT_FALSE((*plan)[1].blacklisted);
  EXPECT_TRUE((*plan)[2].blacklisted);
  EXPECT_TRUE((*plan)[2].options.empty());
}
