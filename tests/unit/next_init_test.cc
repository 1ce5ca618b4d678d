// Choosing the next init inside a new root (core/next_init.h) and checking
// its mount points (init/switch_root.h), on a scratch directory laid out
// like an image.
#include "core/next_init.h"

#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "init/handover.h"
#include "init/switch_root.h"

using namespace iofs;

namespace {

struct Root {
  std::string dir;
  Root() {
    dir = "/tmp/iofs-unit-nextinit-XXXXXX";
    EXPECT_NE(::mkdtemp(dir.data()), nullptr);
  }
  ~Root() { std::filesystem::remove_all(dir); }
  void file(const std::string& path, const std::string& content, mode_t mode) {
    std::filesystem::create_directories(std::filesystem::path(dir + path).parent_path());
    std::ofstream(dir + path) << content;
    ::chmod((dir + path).c_str(), mode);
  }
  void link(const std::string& path, const std::string& target) {
    std::filesystem::create_directories(std::filesystem::path(dir + path).parent_path());
    std::filesystem::create_symlink(target, dir + path);
  }
};

std::string message(const Result<NextInit>& r) { return r ? "chose " + r->path : r.error().message(); }

}  // namespace

TEST(NextInit, FirstRunnableCandidateWithTheOnesBeforeIt) {
  Root r;
  r.file("/sbin/init", "#!/bin/sh\n", 0755);
  auto next = choose_next_init(r.dir, init_candidates("/custom", ""));
  ASSERT_TRUE(next) << message(next);
  EXPECT_EQ(next->path, "/sbin/init");
  EXPECT_EQ(next->skipped, "/custom (No such file or directory), /init (No such file or directory)");
  r.file("/init", "#!/bin/sh\n", 0755);
  next = choose_next_init(r.dir, init_candidates("", ""));
  ASSERT_TRUE(next) << message(next);
  EXPECT_EQ(next->path, "/init");
  EXPECT_EQ(next->skipped, "");
}

// dracut's /init -> /usr/lib/systemd/systemd: an absolute symlink resolves
// inside the new root, not in the initramfs running the check.
TEST(NextInit, AbsoluteSymlinksResolveInsideTheNewRoot) {
  Root r;
  r.file("/usr/lib/systemd/systemd", "\x7f" "ELF", 0755);
  r.link("/init", "/usr/lib/systemd/systemd");
  auto next = choose_next_init(r.dir, init_candidates("", ""));
  ASSERT_TRUE(next) << message(next);
  EXPECT_EQ(next->path, "/init");
}

// Each way a candidate cannot run is named; none of the kernel's order is
// /bin/sh, which the image has here.
TEST(NextInit, EachUnrunnableCandidateIsNamedWithWhy) {
  Root r;
  r.file("/bin/sh", "#!/bin/sh\n", 0755);
  r.link("/init", "/usr/lib/systemd/systemd");     // dangling
  r.file("/sbin/init", "#!/bin/sh\n", 0644);       // not executable
  std::filesystem::create_directories(r.dir + "/etc/init");  // a directory
  r.file("/bin/init", "", 0755);                   // empty
  auto next = choose_next_init(r.dir, init_candidates("", ""));
  ASSERT_FALSE(next) << message(next);
  EXPECT_EQ(next.error().message(),
            "no init could be run in the new root; tried "
            "/init (a dangling symlink to /usr/lib/systemd/systemd), "
            "/sbin/init (not executable), /etc/init (not a regular file), /bin/init (empty)");
}

// A symlink out of the new root ("..") stays inside it, so the host's own
// /bin/sh is never what makes a candidate look runnable.
TEST(NextInit, RelativeSymlinkCannotLeaveTheNewRoot) {
  Root r;
  r.link("/init", "../../../../../../../../bin/sh");
  auto next = choose_next_init(r.dir, {"/init"});
  ASSERT_FALSE(next) << message(next);
  EXPECT_NE(next.error().message().find("/init (a dangling symlink to ../../"), std::string::npos)
      << next.error().message();
}

TEST(NextInit, ConfiguredShellStillRuns) {
  Root r;
  r.file("/bin/sh", "#!/bin/sh\n", 0755);
  auto next = choose_next_init(r.dir, init_candidates("/bin/sh", ""));
  ASSERT_TRUE(next) << message(next);
  EXPECT_EQ(next->path, "/bin/sh");
}

TEST(InitCandidates, KernelOrderWithoutTheShell) {
  EXPECT_EQ(init_candidates("", ""),
            (std::vector<std::string>{"/init", "/sbin/init", "/etc/init", "/bin/init"}));
  auto c = init_candidates("/usr/lib/systemd/systemd", "/myinit");
  EXPECT_EQ(c, (std::vector<std::string>{"/usr/lib/systemd/systemd", "/myinit", "/init",
                                         "/sbin/init", "/etc/init", "/bin/init"}));
}

TEST(InitCandidates, WhyTheChosenOneWasChosen) {
  EXPECT_EQ(init_choice_reason("/sbin/init", "/sbin/init", "/init"), "the init key or initoverlayfs.init=");
  EXPECT_EQ(init_choice_reason("/myinit", "/custom", "/myinit"), "rdinit=");
  EXPECT_EQ(init_choice_reason("/init", "", ""),
            "first of the kernel's order: /init, /sbin/init, /etc/init, /bin/init");
  EXPECT_EQ(init_choice_reason("/sbin/init", "/custom", ""),
            "first of the kernel's order: /init, /sbin/init, /etc/init, /bin/init");
}

TEST(MountPoints, MissingOnesAreMadeExistingDirectoriesKept) {
  Root r;
  std::filesystem::create_directories(r.dir + "/proc");
  ASSERT_TRUE(prepare_mount_points(r.dir));
  for (const char* api : kApiMounts)
    EXPECT_TRUE(std::filesystem::is_directory(std::filesystem::symlink_status(r.dir + api))) << api;
}

// A symlink would take the move of /run out of the new root; a file cannot
// take a mount of a directory.
TEST(MountPoints, SymlinkOrFileIsAFailureNamingIt) {
  {
    Root r;
    r.link("/run", "/var/run");
    auto p = prepare_mount_points(r.dir);
    ASSERT_FALSE(p);
    EXPECT_EQ(p.error().message(), "mount point " + r.dir + "/run (a symlink): Not a directory (errno=20)");
  }
  Root r;
  r.file("/sys", "", 0644);
  auto p = prepare_mount_points(r.dir);
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().message(), "mount point " + r.dir + "/sys: Not a directory (errno=20)");
}
