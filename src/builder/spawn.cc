#include "builder/spawn.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <tuple>

#include "builder/interrupt.h"
#include "core/strings.h"
#include "core/sys.h"
#include "core/unique_fd.h"

extern char** environ;

namespace iofs {
namespace {

struct FileActions {
  posix_spawn_file_actions_t fa;
  FileActions() { posix_spawn_file_actions_init(&fa); }
  ~FileActions() { posix_spawn_file_actions_destroy(&fa); }
};
struct SpawnAttr {
  posix_spawnattr_t attr;
  SpawnAttr() { posix_spawnattr_init(&attr); }
  ~SpawnAttr() { posix_spawnattr_destroy(&attr); }
};

Result<std::pair<UniqueFd, UniqueFd>> make_pipe() {
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) return sys_error("pipe2", "");
  return std::pair{UniqueFd(p[0]), UniqueFd(p[1])};
}

// Starts the child in its own process group, recorded for the signal
// handler before any held signal can be delivered.
Result<pid_t> start(const std::vector<std::string>& argv, const posix_spawn_file_actions_t* fa) {
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  InterruptsHeld held;
  TRY(check_interrupted());
  SpawnAttr sa;
  sigset_t defaults;
  sigemptyset(&defaults);
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGPIPE}) sigaddset(&defaults, sig);
  posix_spawnattr_setsigdefault(&sa.attr, &defaults);
  posix_spawnattr_setsigmask(&sa.attr, &held.previous());
  posix_spawnattr_setpgroup(&sa.attr, 0);
  posix_spawnattr_setflags(&sa.attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK |
                                         POSIX_SPAWN_SETPGROUP);
  pid_t pid;
  int rc = posix_spawnp(&pid, args[0], fa, &sa.attr, args.data(), environ);
  if (rc != 0) return fail("run", argv[0], rc);
  set_running_child(pid);
  return pid;
}

// Waits for the child without reaping it first, so that the handler never
// signals a process group whose number was given to someone else.
Result<int> finish(pid_t pid, const std::string& name) {
  siginfo_t info;
  while (::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOWAIT) != 0)
    if (errno != EINTR) return sys_error("wait for", name);
  {
    InterruptsHeld held;
    set_running_child(0);
  }
  int status;
  while (::waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) return sys_error("wait for", name);
  return status;
}

}  // namespace

Result<void> run_program(const std::vector<std::string>& argv, const SpawnIo& io) {
  FileActions f;
  UniqueFd out_file, in_read, in_write, cap_read, cap_write;
  if (!io.stdin_path.empty())
    posix_spawn_file_actions_addopen(&f.fa, 0, io.stdin_path.c_str(), O_RDONLY, 0);
  if (io.stdin_data) {
    std::tie(in_read, in_write) = TRY(make_pipe());
    posix_spawn_file_actions_adddup2(&f.fa, in_read.get(), 0);
  }
  if (io.stdout_capture) {
    std::tie(cap_read, cap_write) = TRY(make_pipe());
    posix_spawn_file_actions_adddup2(&f.fa, cap_write.get(), 1);
  } else if (io.stdout_fd >= 0) {
    posix_spawn_file_actions_adddup2(&f.fa, io.stdout_fd, 1);
  } else if (!io.stdout_path.empty()) {
    out_file = TRY(sys::open(io.stdout_path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0600));
    posix_spawn_file_actions_adddup2(&f.fa, out_file.get(), 1);
  } else if (io.quiet) {
    posix_spawn_file_actions_addopen(&f.fa, 1, "/dev/null", O_WRONLY, 0);
  }
  if (io.quiet_stderr) posix_spawn_file_actions_addopen(&f.fa, 2, "/dev/null", O_WRONLY, 0);
  pid_t pid = TRY(start(argv, &f.fa));
  // Our copies of the child's ends: EOF and EPIPE must reach the other side.
  in_read.reset();
  cap_write.reset();
  out_file.reset();
  Result<void> io_result;
  if (io.stdin_data) {
    io_result = sys::write_all(in_write.get(), *io.stdin_data, "stdin of " + argv[0]);
    in_write.reset();
  }
  if (io.stdout_capture) {
    io.stdout_capture->clear();
    char buf[65536];
    for (;;) {
      ssize_t n = ::read(cap_read.get(), buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        io_result = sys_error("read output of", argv[0]);
        break;
      }
      if (n == 0) break;
      if (io.stdout_capture->size() + static_cast<size_t>(n) > (16u << 20)) {
        io_result = fail("read output of", argv[0], EFBIG);
        break;
      }
      io.stdout_capture->append(buf, static_cast<size_t>(n));
    }
    cap_read.reset();
  }
  int status = TRY(finish(pid, argv[0]));
  TRY(check_interrupted());
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
    TRY(std::move(io_result));
    return {};
  }
  if (WIFEXITED(status))
    return fail(argv[0], str("exited with status ", WEXITSTATUS(status)));
  return fail(argv[0], str("killed by signal ", WTERMSIG(status)));
}

bool program_exists(const std::string& name) {
  const char* path = ::getenv("PATH");
  std::string dirs = path ? path : "/usr/sbin:/usr/bin:/sbin:/bin";
  size_t pos = 0;
  while (pos <= dirs.size()) {
    size_t c = dirs.find(':', pos);
    if (c == std::string::npos) c = dirs.size();
    std::string candidate = dirs.substr(pos, c - pos) + "/" + name;
    if (::access(candidate.c_str(), X_OK) == 0) return true;
    pos = c + 1;
  }
  return false;
}

}  // namespace iofs
