#include "init/module_loader.h"

#include <gtest/gtest.h>

#include <stdexcept>

#include <atomic>
#include <chrono>
#include <condition_variable>
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

// A load function that succeeds and remembers the order of the loads.
struct LoadRecorder {
  std::mutex mu;
  std::vector<std::string> loaded;
  ModuleLoadFn fn() {
    return [this](const PlannedModule& m) {
      std::lock_guard l(mu);
      loaded.push_back(m.path);
      return 0;
    };
  }
};
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

// A load that throws (std::system_error, std::bad_alloc) must not end its
// thread: std::terminate would end PID 1. It counts as failed, its
// dependents are cancelled, and the first exception is the loader's fault.
TEST(ModuleLoader, ExceptionInALoadIsAFaultNotATerminate) {
  auto plan = good_plan();
  ModuleLoader loader(
      plan,
      [](const PlannedModule& m) -> int {
        if (m.path == "kernel/fs/mbcache.ko.xz") throw std::runtime_error("no memory");
        return 0;
      },
      3);
  for (size_t i = 0; i < plan.size(); ++i) loader.request(i);
  loader.wait_idle();
  auto outcomes = loader.outcomes();
  EXPECT_EQ(outcomes[1].err, ENOTRECOVERABLE);  // mbcache
  EXPECT_EQ(outcomes[3].err, ECANCELED);        // ext4 needs it
  EXPECT_EQ(outcomes[7].err, 0);                // erofs does not
  EXPECT_EQ(loader.fault(), "mbcache: no memory");
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

TEST(ModuleLoader, OnDemandModulesLoadOnlyForMatchingDevices) {
  auto plan = parse_load_plan(
      "kernel/scsi_mod.ko:\n"
      "kernel/ahci.ko: kernel/scsi_mod.ko\n"
      "alias pci:v*d*sv*sd*bc01sc06i01* kernel/ahci.ko\n"
      "kernel/virtio_blk.ko:\n"
      "alias virtio:d00000002v* kernel/virtio_blk.ko\n"
      "kernel/ext4.ko:\n");
  ASSERT_TRUE(plan) << plan.error().message();
  EXPECT_EQ((*plan)[1].aliases, (std::vector<std::string>{"pci:v*d*sv*sd*bc01sc06i01*"}));
  // The format keeps the aliases.
  auto again = parse_load_plan(format_load_plan(*plan));
  ASSERT_TRUE(again);
  EXPECT_EQ((*again)[2].aliases, (*plan)[2].aliases);

  LoadRecorder rec;
  const std::vector<std::string>& loaded = rec.loaded;
  ModuleLoader loader(*plan, rec.fn(), 2);
  loader.request_unconditional();  // ext4 only: scsi_mod is a library of ahci
  loader.wait_idle();
  EXPECT_EQ(loaded, (std::vector<std::string>{"kernel/ext4.ko"}));
  EXPECT_EQ(loader.request_for_device("virtio:d00000001v00001AF4"), 0u);  // a NIC
  EXPECT_EQ(loader.request_for_device("virtio:d00000002v00001AF4"), 1u);  // a disk
  EXPECT_EQ(loader.request_for_device("virtio:d00000002v00001AF4"), 0u);  // once only
  loader.wait_idle();
  EXPECT_EQ(loaded.back(), "kernel/virtio_blk.ko");
  EXPECT_EQ(loader.requested(), 2u);
  EXPECT_EQ(loader.request_for_device("pci:v00008086d00002922sv00001AF4sd00001100bc01sc06i01"), 2u);
  loader.wait_idle();
  EXPECT_EQ(loaded.back(), "kernel/ahci.ko");
  EXPECT_EQ(loaded[loaded.size() - 2], "kernel/scsi_mod.ko");  // with its library first
  auto out = loader.outcomes();
  EXPECT_EQ(out[1].err, 0);
}

TEST(ModuleLoader, DependencyCancelledWhileRequestingIsCountedOnce) {
  // a fails; b needs a; c needs b. Requesting c after a failed cancels b at
  // once, while c is still counting its dependencies.
  auto plan = parse_load_plan("kernel/a.ko:\nkernel/b.ko: kernel/a.ko\nkernel/c.ko: kernel/b.ko\n");
  ASSERT_TRUE(plan);
  ModuleLoader loader(*plan, [](const PlannedModule& m) { return m.path == "kernel/a.ko" ? EIO : 0; }, 2);
  loader.request(0);
  loader.wait_idle();
  loader.request(2);
  loader.wait_idle();  // would hang (or underflow) if c were released twice
  auto out = loader.outcomes();
  EXPECT_EQ(out[0].err, EIO);
  EXPECT_EQ(out[1].err, ECANCELED);
  EXPECT_EQ(out[2].err, ECANCELED);
}

// A blacklisted driver is not loaded for its device, as udev's modprobe
// would not; it still loads when a module that needs it does.
TEST(ModuleLoader, BlacklistedModuleLoadsOnlyAsADependency) {
  auto plan = parse_load_plan(
      "kernel/scsi_mod.ko:\n"
      "alias scsi:t-0x00* kernel/scsi_mod.ko\n"
      "blacklist kernel/scsi_mod.ko\n"
      "kernel/virtio_scsi.ko: kernel/scsi_mod.ko\n"
      "alias virtio:d00000008v* kernel/virtio_scsi.ko\n");
  ASSERT_TRUE(plan) << plan.error().message();
  LoadRecorder rec;
  const std::vector<std::string>& loaded = rec.loaded;
  ModuleLoader loader(*plan, rec.fn(), 2);
  loader.request_unconditional();
  EXPECT_EQ(loader.request_for_device("scsi:t-0x00"), 0u);
  loader.wait_idle();
  EXPECT_TRUE(loaded.empty());
  EXPECT_EQ(loader.request_for_device("virtio:d00000008v00001AF4"), 2u);
  loader.wait_idle();
  EXPECT_EQ(loaded, (std::vector<std::string>{"kernel/scsi_mod.ko", "kernel/virtio_scsi.ko"}));
}

// A load that does not return (a driver whose probe hangs in finit_module)
// must not hold PID 1 for ever: wait_idle_for() gives up after its timeout
// and unfinished() names what is left, in each state.
TEST(ModuleLoader, WaitForAStuckLoadTimesOutNamingWhatIsLeft) {
  auto plan = parse_load_plan("kernel/a.ko:\nkernel/b.ko: kernel/a.ko\nkernel/c.ko:\n");
  ASSERT_TRUE(plan);
  std::mutex mu;
  std::condition_variable cv;
  bool entered = false, released = false;
  ModuleLoader loader(
      *plan,
      [&](const PlannedModule& m) {
        if (m.path != "kernel/a.ko") return 0;
        std::unique_lock l(mu);
        entered = true;
        cv.notify_all();
        cv.wait(l, [&] { return released; });
        return 0;
      },
      1);  // one worker: c queues behind the stuck a
  loader.request(0);
  {
    std::unique_lock l(mu);
    cv.wait(l, [&] { return entered; });
  }
  loader.request(2);
  loader.request(1);
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_FALSE(loader.wait_idle_for(std::chrono::milliseconds(100)));
  EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(100));
  EXPECT_EQ(loader.unfinished(), (std::vector<std::string>{"a (loading)", "b (waiting)", "c (queued)"}));
  {
    std::lock_guard l(mu);
    released = true;
  }
  cv.notify_all();
  EXPECT_TRUE(loader.wait_idle_for(std::chrono::seconds(10)));
  EXPECT_TRUE(loader.unfinished().empty());
  auto out = loader.outcomes();
  for (const ModuleOutcome& o : out) EXPECT_EQ(o.err, 0);
}

TEST(ModuleLoader, WaitIdleForReturnsAtOnceWhenNothingIsPending) {
  auto plan = parse_load_plan("kernel/a.ko:\n");
  ASSERT_TRUE(plan);
  ModuleLoader loader(*plan, [](const PlannedModule&) { return 0; }, 1);
  EXPECT_TRUE(loader.wait_idle_for(std::chrono::milliseconds(0)));
  loader.request(0);
  EXPECT_TRUE(loader.wait_idle_for(std::chrono::seconds(10)));
  EXPECT_TRUE(loader.unfinished().empty());
}
