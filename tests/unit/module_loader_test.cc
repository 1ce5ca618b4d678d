#include "init/module_loader.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

#include "samples.h"

using namespace iofs;

namespace {
std::vector<PlannedModule> good_plan() {
  auto plan = parse_load_plan(read_sample("plan.good"));
  EXPECT_TRUE(plan);
  return *plan;
}
}  // namespace

TEST(ModuleLoader, EveryModuleAfterItsDependencies) {
  auto plan = good_plan();
  for (unsigned workers : {1u, 2u, 8u}) {
    std::mutex mu;
    std::vector<std::string> order;
    auto outcomes = load_plan_concurrently(
        plan,
        [&](const PlannedModule& m) {
          std::this_thread::sleep_for(std::chrono::milliseconds(1));
          std::lock_guard l(mu);
          order.push_back(m.path);
          return 0;
        },
        workers);
    ASSERT_EQ(order.size(), plan.size());
    for (size_t i = 0; i < plan.size(); ++i) {
      EXPECT_EQ(outcomes[i].err, 0);
      auto pos = [&](const std::string& p) {
        return std::find(order.begin(), order.end(), p) - order.begin();
      };
      for (size_t d : plan[i].deps)
        EXPECT_LT(pos(plan[d].path), pos(plan[i].path)) << plan[i].path;
    }
  }
}

TEST(ModuleLoader, IndependentModulesRunConcurrently) {
  auto plan = good_plan();
  std::atomic<int> running{0}, peak{0};
  load_plan_concurrently(
      plan,
      [&](const PlannedModule&) {
        int now = ++running;
        int p = peak.load();
        while (now > p && !peak.compare_exchange_weak(p, now)) {
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        --running;
        return 0;
      },
      4);
  EXPECT_GE(peak.load(), 2);
}

TEST(ModuleLoader, FailureSkipsDependentsOnlyAndIsReported) {
  auto plan = good_plan();
  std::mutex mu;
  std::vector<std::string> tried;
  auto outcomes = load_plan_concurrently(
      plan,
      [&](const PlannedModule& m) {
        std::lock_guard l(mu);
        tried.push_back(m.path);
        return m.path == "kernel/fs/mbcache.ko.xz" ? ENOENT : 0;
      },
      3);
  EXPECT_EQ(outcomes[1].err, ENOENT);     // mbcache
  EXPECT_EQ(outcomes[3].err, ECANCELED);  // ext4 needs it: never tried
  EXPECT_EQ(std::count(tried.begin(), tried.end(), "kernel/fs/ext4/ext4.ko.xz"), 0);
  EXPECT_EQ(outcomes[7].err, 0);  // erofs does not need it
  EXPECT_EQ(outcomes[9].err, ECANCELED);  // jbd2-soft needs it too
  EXPECT_EQ(tried.size(), plan.size() - 2);
}

TEST(ModuleLoader, FailedSoftDependencyDoesNotCancel) {
  // libcrc32c wants a crc32c provider first; crc32c-intel refuses a CPU
  // without SSE4.2 (ENODEV) but crc32c_generic is there: load it anyway.
  auto plan = parse_load_plan(
      "kernel/crc32c-intel.ko:\nkernel/crc32c_generic.ko:\n"
      "kernel/libcrc32c.ko: pre: kernel/crc32c-intel.ko kernel/crc32c_generic.ko\n"
      "kernel/erofs.ko: kernel/libcrc32c.ko\n");
  ASSERT_TRUE(plan);
  std::mutex mu;
  std::vector<std::string> order;
  auto outcomes = load_plan_concurrently(
      *plan,
      [&](const PlannedModule& m) {
        std::lock_guard l(mu);
        order.push_back(m.path);
        return m.path == "kernel/crc32c-intel.ko" ? ENODEV : 0;
      },
      4);
  EXPECT_EQ(outcomes[0].err, ENODEV);
  EXPECT_EQ(outcomes[2].err, 0);
  EXPECT_EQ(outcomes[3].err, 0);
  // Still after both providers were tried.
  ASSERT_EQ(order.size(), 4u);
  EXPECT_EQ(order[2], "kernel/libcrc32c.ko");
}

TEST(ModuleLoader, EmptyPlan) {
  EXPECT_TRUE(load_plan_concurrently({}, [](const PlannedModule&) { return 0; }, 4).empty());
}

TEST(ModuleLoader, RealLoaderReportsMissingFile) {
  PlannedModule m{"kernel/does/not/exist.ko.xz", {}};
  EXPECT_EQ(finit_module_file("/nonexistent", m), ENOENT);
}
