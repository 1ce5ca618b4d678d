// The private scratch directory (scratch.h) and the builder's reaction to
// SIGINT/SIGTERM/SIGHUP (interrupt.h, run_program in spawn.h).
#include "builder/scratch.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <thread>

#include <gtest/gtest.h>

#include "builder/interrupt.h"
#include "builder/spawn.h"

using namespace iofs;
namespace fs = std::filesystem;

namespace {

class Scratch : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/iofs-scratch-test.XXXXXX";
    ASSERT_TRUE(::mkdtemp(tmpl));
    base_ = tmpl;
    const char* old = ::getenv("TMPDIR");
    if (old) old_tmpdir_ = old;
    ::setenv("TMPDIR", base_.c_str(), 1);
  }
  void TearDown() override {
    if (old_tmpdir_) ::setenv("TMPDIR", old_tmpdir_->c_str(), 1);
    else ::unsetenv("TMPDIR");
    fs::remove_all(base_);
    reset_interrupt_for_testing();
  }
  std::string base_;
  std::optional<std::string> old_tmpdir_;
};

mode_t mode_of(const std::string& p) {
  struct stat st;
  EXPECT_EQ(::lstat(p.c_str(), &st), 0) << p;
  return st.st_mode & 07777;
}

}  // namespace

TEST_F(Scratch, IsPrivateWhateverTheUmaskAndRemovedWithItsContents) {
  mode_t old = ::umask(0);
  auto s = ScratchDir::create();
  ::umask(old);
  ASSERT_TRUE(s) << s.error().message();
  std::string path = s->path();
  EXPECT_EQ(path.rfind(base_ + "/initoverlayfs-install.", 0), 0u) << path;
  EXPECT_EQ(mode_of(path), 0700u);
  std::string tree = s->make_dir("tree").value();
  EXPECT_EQ(mode_of(tree), 0700u);
  // The archive's root mode does not open the way in: the parent stays 0700.
  ASSERT_EQ(::chmod(tree.c_str(), 0755), 0);
  ASSERT_TRUE(s->create_file("side"));
  EXPECT_EQ(mode_of(path + "/side"), 0600u);
  EXPECT_FALSE(s->make_dir("tree")) << "an existing name is an error";
  { ScratchDir gone = std::move(*s); }
  EXPECT_FALSE(fs::exists(path));
}

TEST_F(Scratch, SideFilesNeverFollowOrReuseAName) {
  auto s = ScratchDir::create();
  ASSERT_TRUE(s);
  std::string victim = base_ + "/victim";
  { std::ofstream(victim) << "precious"; }
  fs::create_symlink(victim, s->path() + "/planted");
  auto f = s->create_file("planted");
  ASSERT_FALSE(f);
  EXPECT_EQ(f.error().err, EEXIST);
  // run_program's stdout_path is created the same way.
  auto r = run_program({"echo", "overwritten"}, {.stdout_path = s->path() + "/planted"});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().err, EEXIST);
  std::ifstream in(victim);
  std::string text((std::istreambuf_iterator<char>(in)), {});
  EXPECT_EQ(text, "precious");
}

TEST(Spawn, PipesInsteadOfSideFiles) {
  std::string out;
  ASSERT_TRUE(run_program({"sh", "-c", "printf 'Block count: 12\\n'"}, {.stdout_capture = &out}));
  EXPECT_EQ(out, "Block count: 12\n");
  // Small enough for the pipe's buffer: written before the output is read.
  std::string upper;
  ASSERT_TRUE(run_program({"tr", "a-z", "A-Z"},
                          {.stdin_data = std::string_view("abc"), .stdout_capture = &upper}));
  EXPECT_EQ(upper, "ABC");
}

TEST_F(Scratch, SignalStopsTheRunningToolAndNoOtherStarts) {
  install_interrupt_handlers();
  auto start = std::chrono::steady_clock::now();
  std::thread killer([] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    ::kill(::getpid(), SIGTERM);
  });
  auto r = run_program({"sleep", "30"});
  killer.join();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message(), "interrupted by SIGTERM");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
  EXPECT_EQ(interrupted_signal(), SIGTERM);
  auto again = run_program({"true"});
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().message(), "interrupted by SIGTERM");
  // The first signal is the one reported.
  ::raise(SIGINT);
  EXPECT_EQ(interrupted_signal(), SIGTERM);
}

TEST_F(Scratch, HeldSignalsArriveAfterTheHeldPart) {
  install_interrupt_handlers();
  {
    InterruptsHeld held;
    ::raise(SIGHUP);
    EXPECT_EQ(interrupted_signal(), 0);
    EXPECT_TRUE(check_interrupted());
  }
  EXPECT_EQ(interrupted_signal(), SIGHUP);
  EXPECT_FALSE(check_interrupted());
}

namespace {
void make_old(const std::string& path) {
  struct timespec t[2] = {{::time(nullptr) - 3600, 0}, {::time(nullptr) - 3600, 0}};
  ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), t, AT_SYMLINK_NOFOLLOW), 0) << path;
}
}  // namespace

// What a builder killed by SIGKILL leaves is removed by the next one; what
// a living builder holds, or anything else, is not.
TEST_F(Scratch, LeftoversOfDeadBuildersAreRemovedByTheNextRun) {
  const std::string dead = base_ + "/initoverlayfs-install.DEAD00";
  fs::create_directories(dead + "/tree/etc");
  { std::ofstream(dead + "/tree/etc/secret") << "x"; }
  ::chmod(dead.c_str(), 0700);
  make_old(dead);
  const std::string fresh = base_ + "/initoverlayfs-install.FRESH0";  // just made, not yet locked
  fs::create_directory(fresh);
  const std::string other = base_ + "/initoverlayfs-install.toolong";
  fs::create_directory(other);
  make_old(other);
  auto alive = ScratchDir::create();
  ASSERT_TRUE(alive);
  make_old(alive->path());
  EXPECT_EQ(ScratchDir::remove_abandoned(), 1u);
  EXPECT_FALSE(fs::exists(dead));
  EXPECT_TRUE(fs::exists(fresh));
  EXPECT_TRUE(fs::exists(other));
  EXPECT_TRUE(fs::exists(alive->path()));

  const std::string out = base_ + "/out";
  fs::create_directory(out);
  OutputTemps temps;
  const std::string held = temps.create(out, "initramfs-1.img").value();
  make_old(held);
  const std::string left = out + "/.initramfs-1.img.K1LLED";
  { std::ofstream(left) << "half"; }
  make_old(left);
  const std::string committed = out + "/initramfs-1.img";
  { std::ofstream(committed) << "old pair"; }
  make_old(committed);
  const std::string victim = base_ + "/victim";
  { std::ofstream(victim) << "keep"; }
  fs::create_symlink(victim, out + "/.initramfs-1.img.SYMLNK");
  EXPECT_EQ(OutputTemps::remove_abandoned(out, "initramfs-1.img"), 1u);
  EXPECT_FALSE(fs::exists(left));
  EXPECT_TRUE(fs::exists(held));
  EXPECT_TRUE(fs::exists(committed));
  EXPECT_TRUE(fs::exists(victim));
  EXPECT_TRUE(fs::is_symlink(out + "/.initramfs-1.img.SYMLNK"));
}

TEST_F(Scratch, OutputTempsAreRemovedUnlessKept) {
  const std::string out = base_ + "/out";
  fs::create_directory(out);
  std::string a, b;
  {
    OutputTemps temps;
    a = temps.create(out, "x.img").value();
    b = temps.create(out, "y.img").value();
    EXPECT_EQ(mode_of(a), 0600u);
    ASSERT_EQ(::rename(b.c_str(), (out + "/y.img").c_str()), 0);
    temps.keep(b);
  }
  EXPECT_FALSE(fs::exists(a));
  EXPECT_TRUE(fs::exists(out + "/y.img"));
}
