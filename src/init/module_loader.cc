#include "init/module_loader.h"

#include <fcntl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <exception>

#include "core/log.h"
#include "core/strings.h"
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

ModuleLoader::ModuleLoader(const std::vector<PlannedModule>& plan, ModuleLoadFn load,
                           unsigned workers)
    : plan_(plan),
      load_(std::move(load)),
      state_(plan.size(), State::idle),
      pending_(plan.size(), 0),
      hard_failed_(plan.size(), false),
      hard_dependents_(plan.size()),
      soft_dependents_(plan.size()),
      out_(plan.size(), ModuleOutcome{-1, 0}) {
  for (size_t i = 0; i < plan.size(); ++i) {
    for (size_t d : plan[i].deps) hard_dependents_[d].push_back(i);
    for (size_t d : plan[i].after) soft_dependents_[d].push_back(i);
  }
  start_ns_ = last_finish_ns_ = monotonic_ns();
  if (workers < 1) workers = 1;
  if (workers > plan.size()) workers = static_cast<unsigned>(plan.size());
  for (unsigned w = 0; w < workers; ++w) threads_.emplace_back([this] { work(); });
}

ModuleLoader::~ModuleLoader() {
  wait_idle();
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (std::thread& t : threads_) t.join();
}

void ModuleLoader::request_locked(size_t i) {
  if (state_[i] != State::idle) return;
  state_[i] = State::requesting;
  ++requested_;
  // Dependencies first (their indices are smaller: the plan is ordered).
  auto count = [&](size_t d, bool hard) {
    request_locked(d);
    if (state_[d] != State::done)
      ++pending_[i];
    else if (hard && out_[d].err != 0)
      hard_failed_[i] = true;
  };
  for (size_t d : plan_[i].deps) count(d, true);
  for (size_t d : plan_[i].after) count(d, false);
  state_[i] = State::waiting;
  if (pending_[i] == 0) {
    if (hard_failed_[i]) {
      finish_locked(i, ModuleOutcome{ECANCELED, 0});
    } else {
      state_[i] = State::queued;
      ready_.push_back(i);
    }
  }
}

// Records module i as done and releases what waited on it; dependents of a
// failed module are finished as ECANCELED without a try.
void ModuleLoader::finish_locked(size_t i, ModuleOutcome result) {
  std::vector<std::pair<size_t, ModuleOutcome>> todo{{i, result}};
  while (!todo.empty()) {
    auto [m, r] = todo.back();
    todo.pop_back();
    out_[m] = r;
    state_[m] = State::done;
    last_finish_ns_ = monotonic_ns();
    ++finished_;
    auto release = [&](size_t d, bool hard) {
      if (state_[d] != State::waiting) return;  // not requested (yet)
      if (hard && r.err != 0) hard_failed_[d] = true;
      if (--pending_[d] != 0) return;
      if (hard_failed_[d]) {
        todo.push_back({d, ModuleOutcome{ECANCELED, 0}});
      } else {
        state_[d] = State::queued;
        ready_.push_back(d);
      }
    };
    for (size_t d : hard_dependents_[m]) release(d, true);
    for (size_t d : soft_dependents_[m]) release(d, false);
  }
  cv_.notify_all();
}

void ModuleLoader::work() {
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait(lock, [&] { return !ready_.empty() || stopping_; });
    if (ready_.empty()) return;
    size_t i = ready_.front();
    ready_.pop_front();
    state_[i] = State::loading;
    lock.unlock();
    int64_t t0 = monotonic_ns();
    int err = 0;
    std::string thrown;
    // An exception must not end the thread (std::terminate would end PID
    // 1): the load counts as failed and the fault is kept for the caller.
    try {
      err = load_(plan_[i]);
    } catch (const std::exception& e) {
      err = ENOTRECOVERABLE;
      thrown = e.what();
    } catch (...) {
      err = ENOTRECOVERABLE;
      thrown = "an exception of unknown type";
    }
    int64_t t1 = monotonic_ns();
    lock.lock();
    if (!thrown.empty() && fault_.empty()) fault_ = str(module_name(plan_[i].path), ": ", thrown);
    finish_locked(i, ModuleOutcome{err, t1 - t0});
  }
}

void ModuleLoader::request(size_t i) {
  std::lock_guard lock(mu_);
  request_locked(i);
  cv_.notify_all();
}

void ModuleLoader::request_unconditional() {
  std::lock_guard lock(mu_);
  for (size_t i = 0; i < plan_.size(); ++i)
    if (plan_[i].aliases.empty() && hard_dependents_[i].empty() && soft_dependents_[i].empty())
      request_locked(i);
  cv_.notify_all();
}

size_t ModuleLoader::request_for_device(std::string_view modalias) {
  std::lock_guard lock(mu_);
  size_t before = requested_;
  for (size_t i = 0; i < plan_.size(); ++i)
    if (state_[i] == State::idle && matches_device(plan_[i], modalias)) request_locked(i);
  cv_.notify_all();
  return requested_ - before;
}

void ModuleLoader::wait_idle() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return finished_ == requested_; });
}

bool ModuleLoader::wait_idle_for(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, timeout, [&] { return finished_ == requested_; });
}

std::vector<std::string> ModuleLoader::unfinished() const {
  std::lock_guard lock(mu_);
  std::vector<std::string> out;
  for (size_t i = 0; i < plan_.size(); ++i) {
    const char* what = state_[i] == State::loading  ? "loading"
                       : state_[i] == State::queued ? "queued"
                       : state_[i] == State::waiting || state_[i] == State::requesting
                           ? "waiting"
                           : nullptr;
    if (what) out.push_back(str(module_name(plan_[i].path), " (", what, ")"));
  }
  return out;
}

std::vector<ModuleOutcome> ModuleLoader::outcomes() const {
  std::lock_guard lock(mu_);
  return out_;
}

std::string ModuleLoader::fault() const {
  std::lock_guard lock(mu_);
  return fault_;
}

int64_t ModuleLoader::busy_ns() const {
  std::lock_guard lock(mu_);
  return last_finish_ns_ - start_ns_;
}

size_t ModuleLoader::requested() const {
  std::lock_guard lock(mu_);
  return requested_;
}

std::vector<ModuleOutcome> load_plan_concurrently(const std::vector<PlannedModule>& plan,
                                                  const ModuleLoadFn& load, unsigned workers) {
  if (plan.empty()) return {};
  ModuleLoader loader(plan, load, workers);
  for (size_t i = 0; i < plan.size(); ++i) loader.request(i);
  loader.wait_idle();
  return loader.outcomes();
}

int finit_module_file(const std::string& moddir, const PlannedModule& m) {
  std::string path = moddir + "/" + m.path;
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return errno;
  int flags = 0;
  if (m.path.ends_with(".xz") || m.path.ends_with(".zst") || m.path.ends_with(".gz"))
    flags |= MODULE_INIT_COMPRESSED_FILE;
  // The parameters as modprobe would pass them: modprobe.d's options, then
  // the kernel command line's (Boot applies those to the plan).
  if (!m.options.empty()) log::debug("module ", module_name(m.path), ": options ", m.options);
  if (::syscall(SYS_finit_module, fd.get(), m.options.c_str(), flags) == 0) return 0;
  return errno == EEXIST ? 0 : errno;
}

}  // namespace iofs
