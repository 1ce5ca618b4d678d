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
