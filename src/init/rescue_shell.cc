#include "init/rescue_shell.h"

#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iterator>

#include "core/log.h"
#include "core/sys.h"
#include "core/next_init.h"

extern char** environ;

namespace iofs {
namespace {

// What set_failure_context recorded: plain data, readable from wherever the
// failure action is taken (the terminate handler included).
struct FailureContext {
  bool image_mounted = false;
  char new_root[PATH_MAX] = {};
  dev_t dev = 0;  // the new root's root directory, to recognise it as "/"
  ino_t ino = 0;  // after the switch
  int rescue_fd = -1;  // the mini initramfs's rescue shell, open across the switch
};
FailureContext g_context;

enum class ImageRoot { not_mounted, before_switch, is_root };

ImageRoot where_is_image() {
  if (!g_context.image_mounted) return ImageRoot::not_mounted;
  auto is_new_root = [](const char* path) {
    struct stat st;
    return ::stat(path, &st) == 0 && st.st_dev == g_context.dev && st.st_ino == g_context.ino;
  };
  if (is_new_root("/")) return ImageRoot::is_root;
  if (is_new_root(g_context.new_root)) return ImageRoot::before_switch;
  return ImageRoot::not_mounted;
}

enum class ShellFrom {
  image_chroot,  // the image's /bin/sh, chrooted into the new root
  path,          // /bin/sh of the current root (the image's after the switch)
  rescue_fd,     // the mini initramfs's rescue shell, from its kept fd
};

constexpr const char* kApiMounts[] = {"/dev", "/proc", "/sys", "/run"};
constexpr size_t kApiCount = sizeof kApiMounts / sizeof kApiMounts[0];
// The kernel starts PID 1 without PATH; a shell without one finds nothing.
constexpr char kPathVariable[] = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

// Everything the child needs, made before the fork: a child forked from a
// process with threads (the module loader's, before the switch) may only
// make system calls until it execs.
struct ShellPlan {
  ShellFrom from = ShellFrom::path;
  char root[PATH_MAX] = {};                  // image_chroot
  char api_targets[kApiCount][PATH_MAX] = {};  // root + kApiMounts
  int exe_fd = -1;                           // rescue_fd
  char* envp[64] = {};
  char banner[512] = {};
};
ShellPlan g_plan;  // static: PID 1 runs one shell at a time

// Logging allocates; in the last resort nothing may throw out of it.
template <class... Args>
void log_error_quietly(const Args&... args) noexcept {
  try {
    log::error(args...);
  } catch (...) {
  }
}

// --- in the child: system calls only ---------------------------------------

// "initoverlayfs: A B (errno=N)" on stderr, without allocating.
void say(const char* a, const char* b, int err) {
  char num[24] = " (errno=";
  size_t n = std::strlen(num);
  char digits[12];
  size_t d = 0;
  for (int e = err; e > 0 && d < sizeof digits; e /= 10) digits[d++] = static_cast<char>('0' + e % 10);
  while (d > 0) num[n++] = digits[--d];
  num[n++] = ')';
  num[n] = '\0';
  for (const char* s : {"initoverlayfs: ", a, b, err > 0 ? static_cast<const char*>(num) : "", "\n"})
    (void)!::write(STDERR_FILENO, s, std::strlen(s));
}

// fds 0-2 as the kernel opened them for PID 1 (/dev/console, without
// FD_CLOEXEC, which every fd PID 1 opens itself has); else the console.
void attach_console() {
  bool inherited = true;
  for (int t = 0; t <= 2; ++t) {
    int flags = ::fcntl(t, F_GETFD);
    inherited = inherited && flags >= 0 && (flags & FD_CLOEXEC) == 0;
  }
  if (inherited) return;
  int fd = ::open("/dev/console", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) return;
  for (int t = 0; t <= 2; ++t) {
    if (t == fd)
      (void)::fcntl(t, F_SETFD, 0);
    else
      (void)::dup2(fd, t);  // the copy is without FD_CLOEXEC
  }
  if (fd > 2) ::close(fd);
}

// Binds the API filesystems into the image's root in a mount namespace of
// the child's own, so that neither the binds nor what the user mounts in
// the shell reach PID 1's mounts (the switch moves /dev and the others
// into the new root later and must find it as it was).
void bind_api_filesystems(const ShellPlan& p) {
  if (::unshare(CLONE_NEWNS) != 0) {
    say("shell: no mount namespace of its own, so no /dev, /proc, /sys in the image's root", "",
        errno);
    return;
  }
  // A shared / would carry the binds back to PID 1's namespace.
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
    say("shell: make / private failed, so no /dev, /proc, /sys in the image's root", "", errno);
    return;
  }
  for (size_t i = 0; i < kApiCount; ++i) {
    (void)::mkdir(p.api_targets[i], 0755);
    if (::mount(kApiMounts[i], p.api_targets[i], nullptr, MS_BIND | MS_REC, nullptr) != 0)
      say("shell: bind failed: ", p.api_targets[i], errno);
  }
}

[[noreturn]] void exec_shell(const ShellPlan& p) {
  ::setsid();
  attach_console();
  (void)::ioctl(STDIN_FILENO, TIOCSCTTY, 0);  // job control, ^C; not on a pipe
  (void)!::write(STDERR_FILENO, p.banner, std::strlen(p.banner));
  if (p.from == ShellFrom::image_chroot) {
    bind_api_filesystems(p);
    if (::chroot(p.root) != 0 || ::chdir("/") != 0) {
      say("shell: chroot failed: ", p.root, errno);
      ::_exit(127);
    }
  }
  char* const argv[] = {const_cast<char*>("sh"), nullptr};
  if (p.from == ShellFrom::rescue_fd)
    ::fexecve(p.exe_fd, argv, p.envp);
  else
    ::execve(kRescueShell, argv, p.envp);
  say("shell: exec failed: ", kRescueShell, errno);
  ::_exit(127);
}

// --- in PID 1 ---------------------------------------------------------------

// PID 1's environment (the kernel's, HOME=/ TERM=linux and the command
// line's NAME=VALUE words) with a PATH added when it has none.
void fill_environment(ShellPlan& p) {
  size_t n = 0;
  bool has_path = false;
  for (char** e = environ; e && *e && n + 2 < std::size(p.envp); ++e) {
    has_path = has_path || std::strncmp(*e, "PATH=", 5) == 0;
    p.envp[n++] = *e;
  }
  if (!has_path) p.envp[n++] = const_cast<char*>(kPathVariable);
  p.envp[n] = nullptr;
}

// Whether new_root holds an executable /bin/sh, resolved inside it.
bool image_has_shell(const char* new_root, std::string& why_not) noexcept {
  try {
    auto sh = choose_next_init(new_root, {kRescueShell});
    if (sh) return true;
    why_not = sh.error().message();
  } catch (...) {
    why_not = "";
  }
  return false;
}

bool copy_path(char* out, size_t size, const char* a, const char* b = "") {
  int n = std::snprintf(out, size, "%s%s", a, b);
  return n > 0 && static_cast<size_t>(n) < size;
}

enum class Purpose { failure, break_point };

// Chooses the shell (see rescue_shell.h) and fills g_plan; logs which, or
// why there is none (then returns nullptr).
const ShellPlan* plan_shell(Purpose purpose) noexcept {
  ShellPlan& p = g_plan;
  p = ShellPlan{};
  fill_environment(p);
  const ImageRoot image = where_is_image();
  char what_buf[PATH_MAX + 96] = {};
  const char* what = nullptr;
  std::string why_not;  // empty: the message below says enough
  if (image == ImageRoot::before_switch &&
      image_has_shell(g_context.new_root, why_not) &&
      copy_path(p.root, sizeof p.root, g_context.new_root)) {
    bool ok = true;
    for (size_t i = 0; i < kApiCount; ++i)
      ok = ok && copy_path(p.api_targets[i], sizeof p.api_targets[i], p.root, kApiMounts[i]);
    if (ok) {
      p.from = ShellFrom::image_chroot;
      what = "the image's /bin/sh, chrooted into its root";
    }
  }
  if (!what && image == ImageRoot::is_root && sys::is_executable(kRescueShell)) {
    p.from = ShellFrom::path;
    what = "the image's /bin/sh (the root is switched)";
  }
  if (!what && image != ImageRoot::is_root && sys::is_executable(kRescueShell)) {
    p.from = ShellFrom::path;
    what = "the mini initramfs's rescue shell";
    if (image == ImageRoot::before_switch) {
      std::snprintf(what_buf, sizeof what_buf,
                    "the mini initramfs's rescue shell (the image's root is at %s)",
                    g_context.new_root);
      what = what_buf;
    }
  }
  if (!what && g_context.rescue_fd >= 0) {
    p.from = ShellFrom::rescue_fd;
    p.exe_fd = g_context.rescue_fd;
    what = "the mini initramfs's rescue shell, in the image's root (the root is switched)";
  }
  if (!what) {
    const char* where = image == ImageRoot::not_mounted ? "the image is not mounted"
                        : image == ImageRoot::is_root   ? "the image (now the root) has no /bin/sh"
                                                        : "the image has no /bin/sh";
    log_error_quietly("no shell: ", where, why_not.empty() ? "" : " (", why_not,
                      why_not.empty() ? "" : ")",
                      ", and the mini initramfs has no rescue shell "
                      "(initoverlayfs-install --rescue-shell puts one there)");
    return nullptr;
  }
  if (purpose == Purpose::failure)
    std::snprintf(p.banner, sizeof p.banner,
                  "\ninitoverlayfs: the boot failed (the error is above and in dmesg).\n"
                  "initoverlayfs: this is %s; it starts again when it exits. "
                  "'reboot -f' restarts the machine.\n",
                  what);
  else
    std::snprintf(p.banner, sizeof p.banner,
                  "\ninitoverlayfs: break point pre-switch (initoverlayfs.break): everything is "
                  "mounted and checked.\n"
                  "initoverlayfs: this is %s; the boot goes on when it exits.\n",
                  what);
  try {
    log::notice(purpose == Purpose::failure ? "failure shell: " : "break shell: ", what);
  } catch (...) {
  }
  return &p;
}

// Runs the shell once, reaping every child on the way (PID 1 inherits
// orphans), until the shell itself is gone.
void run_shell_once(const ShellPlan& p) noexcept {
  pid_t pid = ::fork();
  if (pid == 0) exec_shell(p);
  if (pid < 0) {
    log_error_quietly("shell: fork: ", std::strerror(errno));
    return;
  }
  for (;;) {
    pid_t r = ::waitpid(-1, nullptr, 0);
    if (r == pid || (r < 0 && errno != EINTR)) return;
  }
}

bool env_is(const char* name, const char* value) {
  const char* v = ::getenv(name);
  return v && std::strcmp(v, value) == 0;
}

}  // namespace

Result<void> set_failure_context(const std::string& new_root) noexcept {
  struct stat st;
  if (new_root.size() < sizeof g_context.new_root && ::stat(new_root.c_str(), &st) == 0) {
    std::memcpy(g_context.new_root, new_root.c_str(), new_root.size() + 1);
    g_context.dev = st.st_dev;
    g_context.ino = st.st_ino;
    g_context.image_mounted = true;
  }
  if (g_context.rescue_fd < 0) {
    int fd = ::open(kRescueShell, O_RDONLY | O_CLOEXEC);
    if (fd >= 0 && (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (st.st_mode & 0111) == 0)) {
      ::close(fd);
      fd = -1;
    }
    g_context.rescue_fd = fd;
  }
  if (env_is("INITOVERLAYFS_TEST_FAIL", "after-mount")) {
    try {
      return fail("test seam:", "a failure once the image is mounted");
    } catch (...) {
    }
  }
  return {};
}

void run_failure_shell(const Error& error) noexcept {
  const ShellPlan* p = plan_shell(Purpose::failure);
  if (!p) return;
  for (;;) {
    run_shell_once(*p);
    try {
      log::error("emergency shell ended; starting another. Failure was: ", error.message());
    } catch (...) {
    }
    ::sleep(1);
  }
}

void break_if_asked(BreakPoint at, const std::string& new_root) noexcept {
  if (at != BreakPoint::pre_switch) return;
  // Normally known already; a caller that did not say so still gets the
  // image's shell.
  if (!g_context.image_mounted) (void)set_failure_context(new_root);
  const ShellPlan* p = plan_shell(Purpose::break_point);
  if (!p) {
    log_error_quietly("break point pre-switch: no shell to open; going on with the boot");
    return;
  }
  run_shell_once(*p);
  log_error_quietly("break point pre-switch: the shell exited; going on with the boot");
}

}  // namespace iofs
