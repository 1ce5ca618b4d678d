#include "builder/interrupt.h"

#include <string.h>
#include <unistd.h>

#include <atomic>

#include "core/strings.h"

namespace iofs {
namespace {

std::atomic<int> g_signal{0};
std::atomic<pid_t> g_child{0};
static_assert(std::atomic<int>::is_always_lock_free && std::atomic<pid_t>::is_always_lock_free,
              "the signal handler may only touch lock-free atomics");

constexpr int kSignals[] = {SIGINT, SIGTERM, SIGHUP};

void on_signal(int sig) {
  int saved = errno;  // kill() may change it under the interrupted code
  int expected = 0;
  g_signal.compare_exchange_strong(expected, sig);
  if (pid_t child = g_child.load(); child > 0) ::kill(-child, SIGTERM);
  errno = saved;
}

sigset_t interrupt_set() {
  sigset_t set;
  sigemptyset(&set);
  for (int sig : kSignals) sigaddset(&set, sig);
  return set;
}

}  // namespace

void install_interrupt_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigfillset(&sa.sa_mask);   // one handler at a time
  sa.sa_flags = SA_RESTART;  // the steps poll the flag; no EINTR to handle
  for (int sig : kSignals) ::sigaction(sig, &sa, nullptr);
  struct sigaction ign {};
  ign.sa_handler = SIG_IGN;
  ::sigaction(SIGPIPE, &ign, nullptr);
}

int interrupted_signal() { return g_signal.load(); }

Result<void> check_interrupted() {
  int sig = g_signal.load();
  if (sig == 0) return {};
  const char* name = sigabbrev_np(sig);
  return fail("interrupted", str("by SIG", name ? name : std::to_string(sig).c_str()));
}

InterruptsHeld::InterruptsHeld() {
  sigset_t set = interrupt_set();
  ::sigprocmask(SIG_BLOCK, &set, &old_);
}

InterruptsHeld::~InterruptsHeld() { ::sigprocmask(SIG_SETMASK, &old_, nullptr); }

void set_running_child(pid_t pgid) { g_child.store(pgid); }

void reset_interrupt_for_testing() {
  g_signal.store(0);
  g_child.store(0);
}

}  // namespace iofs
