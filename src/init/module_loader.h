// Loading the kernel modules of the load plan with finit_module(2).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/load_plan.h"

namespace iofs {

struct ModuleOutcome {
  int err = 0;          // 0 loaded (or already there); ECANCELED: a hard dependency failed
  int64_t load_ns = 0;  // time spent in the load call
};

// Loads one module; returns 0 or an errno. The seam lets unit tests check
// the scheduling without a kernel.
using ModuleLoadFn = std::function<int(const PlannedModule&)>;

// Loads modules of a plan as they are requested, each after its hard and
// soft dependencies were tried, independent ones concurrently on a pool of
// worker threads. A module whose hard dependency failed is not tried
// (ECANCELED); a failed soft dependency does not stop it. Requests may
// arrive at any time (a device announced by a uevent); wait_idle() returns
// once everything requested so far is done.
class ModuleLoader {
 public:
  ModuleLoader(const std::vector<PlannedModule>& plan, ModuleLoadFn load, unsigned workers);
  // Waits for what was requested (without a bound: after a false
  // wait_idle_for(), do not destroy it), then stops the workers.
  ~ModuleLoader();
  ModuleLoader(const ModuleLoader&) = delete;
  ModuleLoader& operator=(const ModuleLoader&) = delete;

  // Module i and its dependencies; a module requested before is not loaded again.
  void request(size_t i);
  // The modules loaded at start: those without device aliases that no
  // other module depends on (a library loads with its first user).
  void request_unconditional();
  // The on-demand modules whose aliases match a device's modalias; returns
  // how many were newly requested.
  size_t request_for_device(std::string_view modalias);
  void wait_idle();
  // wait_idle() for at most `timeout`; whether everything requested is done.
  // On false, a load may be stuck in the kernel: such a thread cannot be
  // cancelled, and the destructor (which joins it) would block for ever.
  bool wait_idle_for(std::chrono::milliseconds timeout);
  // The requested modules not done yet, in plan order, each as "NAME
  // (loading)", "NAME (queued)" or "NAME (waiting)" (for a dependency).
  std::vector<std::string> unfinished() const;

  // Per module, for requested and finished ones; others have err = -1.
  std::vector<ModuleOutcome> outcomes() const;
  size_t requested() const;
  // From construction until the last load finished so far.
  int64_t busy_ns() const;
  // The first exception a load threw ("MODULE: WHAT"), or empty. The
  // loader goes on without that module; the caller decides (PID 1 treats
  // it as a fault: the program is not in a state it knows).
  std::string fault() const;

 private:
  // requesting: its dependencies are being counted; a dependency finishing
  // meanwhile (cancelled at once) must not count down for it.
  enum class State { idle, requesting, waiting, queued, loading, done };
  void request_locked(size_t i);
  void finish_locked(size_t i, ModuleOutcome r);
  void work();

  const std::vector<PlannedModule>& plan_;
  ModuleLoadFn load_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<State> state_;
  std::vector<size_t> pending_;  // unfinished dependencies of a waiting module
  std::vector<bool> hard_failed_;
  std::vector<std::vector<size_t>> hard_dependents_, soft_dependents_;
  std::vector<ModuleOutcome> out_;
  std::string fault_;
  std::deque<size_t> ready_;
  size_t requested_ = 0, finished_ = 0;
  bool stopping_ = false;
  int64_t start_ns_ = 0, last_finish_ns_ = 0;
  std::vector<std::thread> threads_;
};

// Loads every module of the plan and waits: the whole plan at once.
std::vector<ModuleOutcome> load_plan_concurrently(const std::vector<PlannedModule>& plan,
                                                  const ModuleLoadFn& load, unsigned workers);

// The real loader: finit_module of MODDIR/PATH. Compressed modules (.xz,
// .zst, .gz) are passed as they are with MODULE_INIT_COMPRESSED_FILE so the
// kernel decompresses them (CONFIG_MODULE_DECOMPRESS). EEXIST counts as
// success. The module's options are its parameters (param_values).
int finit_module_file(const std::string& moddir, const PlannedModule& m);

}  // namespace iofs
