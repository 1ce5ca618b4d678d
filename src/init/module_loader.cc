#include "init/module_loader.h"

#include <fcntl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "core/unique_fd.h"

#ifndef MODULE_INIT_COMPRESSED_FILE
#define MODULE_INIT_COMPRESSED_FILE 4
#endif

namespace iofs {

namespace {
int64_t monotonic_ns() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1000000000 + ts.tv_nsec;
}
}  // namespace

std::vector<ModuleOutcome> load_plan_concurrently(
    const std::vector<PlannedModule>& plan, const ModuleLoadFn& load,
    unsigned workers) {
  const size_t n = plan.size();
  std::vector<ModuleOutcome> out(n);
  std::vector<size_t> waiting_on(n);
  std::vector<std::vector<size_t>> dependents(n), soft_dependents(n);
  std::vector<bool> dep_failed(n, false);
  for (size_t i = 0; i < n; ++i) {
    waiting_on[i] = plan[i].deps.size() + plan[i].after.size();
    for (size_t d : plan[i].deps) dependents[d].push_back(i);
    for (size_t d : plan[i].after) soft_dependents[d].push_back(i);
  }

  std::mutex mu;
  std::condition_variable cv;
  std::deque<size_t> ready;
  size_t finished = 0;
  for (size_t i = 0; i < n; ++i)
    if (waiting_on[i] == 0) ready.push_back(i);

  // Records module i as done (under mu) and releases what waited on it;
  // dependents of a failed module are finished as ECANCELED without a try.
  auto finish = [&](size_t i, ModuleOutcome result) {
    std::vector<std::pair<size_t, ModuleOutcome>> todo{{i, result}};
    while (!todo.empty()) {
      auto [m, r] = todo.back();
      todo.pop_back();
      out[m] = r;
      ++finished;
      auto release = [&](size_t d) {
        if (--waiting_on[d] != 0) return;
        if (dep_failed[d])
          todo.push_back({d, ModuleOutcome{ECANCELED, 0}});
        else
          ready.push_back(d);
      };
      for (size_t d : dependents[m]) {
        if (r.err != 0) dep_failed[d] = true;
        release(d);
      }
      for (size_t d : soft_dependents[m]) release(d);
    }
    cv.notify_all();
  };

  auto work = [&] {
    std::unique_lock lock(mu);
    for (;;) {
      cv.wait(lock, [&] { return !ready.empty() || finished == n; });
      if (ready.empty()) return;
      size_t i = ready.front();
      ready.pop_front();
      lock.unlock();
      int64_t t0 = monotonic_ns();
      int err = load(plan[i]);
      int64_t t1 = monotonic_ns();
      lock.lock();
      finish(i, ModuleOutcome{err, t1 - t0});
    }
  };

  if (workers < 1) workers = 1;
  if (workers > n) workers = static_cast<unsigned>(n);
  std::vector<std::thread> threads;
  for (unsigned w = 1; w < workers; ++w) threads.emplace_back(work);
  work();
  for (std::thread& t : threads) t.join();
  return out;
}

int finit_module_file(const std::string& moddir, const PlannedModule& m) {
  std::string path = moddir + "/" + m.path;
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return errno;
  int flags = 0;
  if (m.path.ends_with(".xz") || m.path.ends_with(".zst") ||
      m.path.ends_with(".gz"))
    flags |= MODULE_INIT_COMPRESSED_FILE;
  if (::syscall(SYS_finit_module, fd.get(), "", flags) == 0) return 0;
  return errno == EEXIST ? 0 : errno;
}

}  // namespace iofs
