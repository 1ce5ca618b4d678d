#include "init/handover.h"

#include <fcntl.h>
#include <sys/reboot.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/log.h"
#include "core/strings.h"
#include "core/sys.h"
#include "init/rescue_shell.h"

namespace iofs {

// The kernel opens /dev/console as fds 0-2 of PID 1 when the initramfs has
// the node (init/main.c console_on_rootfs()); those stay valid after the
// switch. Only when they are missing is the console opened here.
static void attach_console() {
  bool all_open = true;
  for (int t = 0; t <= 2; ++t) all_open &= ::fcntl(t, F_GETFD) >= 0;
  if (all_open) return;
  int fd = ::open("/dev/console", O_RDWR | O_NOCTTY);
  if (fd < 0) return;  // keep what the kernel gave us
  for (int target = 0; target <= 2; ++target)
    if (fd != target) ::dup2(fd, target);
  if (fd > 2) ::close(fd);
}

Error exec_next_init(const std::string& path, char** argv, char** envp) {
  attach_console();
  std::vector<char*> args;
  for (char** a = argv; *a; ++a) args.push_back(*a);
  if (args.empty()) args.push_back(nullptr);
  args[0] = const_cast<char*>(path.c_str());
  args.push_back(nullptr);
  ::execve(path.c_str(), args.data(), envp);
  return Error{"exec", path, errno};
}

FailureAction default_failure_action() {
  return sys::is_executable("/bin/sh") ? FailureAction::shell : FailureAction::halt;
}

// The last resort: nothing here may throw (logging allocates) or return.
[[noreturn]] void take_failure_action(const Error& error, FailureAction action) {
  try {
    log::error(error.message());
    log::error("failure action: ", to_string(action));
  } catch (...) {
  }
  if (action == FailureAction::shell) {
    run_failure_shell(error);  // returns only when there is no shell, saying why
    try {
      log::error("no shell for the failure action; halting");
    } catch (...) {
    }
  }
  if (action == FailureAction::reboot || action == FailureAction::poweroff) {
    ::sync();
    ::reboot(action == FailureAction::reboot ? RB_AUTOBOOT : RB_POWER_OFF);
    int err = errno;
    try {
      log::error(Error{"reboot", std::string(to_string(action)), err}.message(), "; halting");
    } catch (...) {
    }
  }
  // halt: stay up and keep the cause on the console.
  for (;;) {
    while (::waitpid(-1, nullptr, WNOHANG) > 0) {
    }
    ::sleep(10);
    try {
      log::error("halted: ", error.message());
    } catch (...) {
    }
  }
}

}  // namespace iofs
