#include "builder/spawn.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/strings.h"

extern char** environ;

namespace iofs {

Result<void> run_program(const std::vector<std::string>& argv, const SpawnIo& io) {
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  if (!io.stdin_path.empty())
    posix_spawn_file_actions_addopen(&fa, 0, io.stdin_path.c_str(), O_RDONLY, 0);
  if (!io.stdout_path.empty())
    posix_spawn_file_actions_addopen(&fa, 1, io.stdout_path.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0600);
  else if (io.quiet)
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  if (io.quiet_stderr) posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  pid_t pid;
  int rc = posix_spawnp(&pid, args[0], &fa, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) return fail("run", argv[0], rc);
  int status;
  while (::waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) return sys_error("wait for", argv[0]);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return {};
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
