#include "builder/cpio_extract.h"

#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "builder/cpio.h"
#include "cpio_tree.h"

using namespace iofs;
using namespace cpio_tree;
namespace fs = std::filesystem;

namespace {

enum class Resolver { openat2, userspace };
void PrintTo(Resolver r, std::ostream* os) {
  *os << (r == Resolver::openat2 ? "openat2" : "userspace");
}

// Extraction, both with openat2 and with the walk used where the kernel
// (before 5.6) or valgrind lacks it.
class InitramfsExtract : public ScratchRoot,
                         public ::testing::WithParamInterface<Resolver> {
 protected:
  void SetUp() override {
    ScratchRoot::SetUp();
    extract_without_openat2_for_testing(GetParam() == Resolver::userspace);
  }
  void TearDown() override {
    extract_without_openat2_for_testing(false);
    ScratchRoot::TearDown();
  }
};

}  // namespace

TEST_P(InitramfsExtract, ExtractCountsWhatItMade) {
  SKIP_UNLESS_ROOT_FOR_MAIN_ENTRIES();
  auto stats = extract_cpio(cpio(main_entries()), root_);
  ASSERT_TRUE(stats) << stats.error().message();
  EXPECT_EQ(stats->files, 7u);
  EXPECT_EQ(stats->hardlinks, 3u);
  EXPECT_EQ(stats->dirs, 5u);  // "." is the root, not a new directory
  EXPECT_EQ(stats->symlinks, 3u);
  EXPECT_EQ(stats->devices, 3u);
  EXPECT_EQ(stats->bytes, 13u + 1 + 24 + 9 + 2 + 100000);
}

// --- Hostile archives -------------------------------------------------------

TEST_P(InitramfsExtract, DotDotIsRefused) {
  for (std::string name : {"../escape", "a/../../x", "ok/..", "/../x", "..",
                           "./../x"}) {
    SCOPED_TRACE(name);
    auto r = extract_cpio(cpio({entry(name, S_IFREG | 0644, "evil")}), root_);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().op, "unsafe cpio entry");
    EXPECT_NE(r.error().detail.find("'" + name + "'"), std::string::npos)
        << r.error().message();
  }
  EXPECT_FALSE(fs::exists(scratch_ + "/escape"));
  EXPECT_FALSE(fs::exists(scratch_ + "/x"));
  // Not "/tmp/x does not exist": other programs on the machine may make
  // that name; what must not be there is this test's file.
  std::error_code ec;
  EXPECT_FALSE(fs::is_regular_file("/tmp/x", ec) && fs::file_size("/tmp/x", ec) == 4 &&
               std::ifstream("/tmp/x").get() == 'e')
      << "/tmp/x looks like the escaped entry";
}

TEST_P(InitramfsExtract, EmptyNamesAreRefused) {
  auto r = extract_cpio(cpio({entry("", S_IFREG | 0644, "x")}), root_);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().op, "unsafe cpio entry");
  r = extract_cpio(cpio({entry("/", S_IFREG | 0644, "x")}), root_);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().op, "unsafe cpio entry");
  EXPECT_EQ(fs::directory_iterator(root_), fs::directory_iterator());
}

TEST_P(InitramfsExtract, AbsoluteAndDotNamesLandInside) {
  auto r = extract_cpio(cpio({entry("/abs/file", S_IFREG | 0644, "a"),
                              entry("./rel/./file", S_IFREG | 0644, "b"),
                              entry("//x//y", S_IFREG | 0644, "c"),
                              entry(".", S_IFDIR | 0710, {}, 1234)}),
                        root_);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(slurp(at("abs/file")), "a");
  EXPECT_EQ(slurp(at("rel/file")), "b");
  EXPECT_EQ(slurp(at("x/y")), "c");
  struct stat st;
  ASSERT_EQ(::stat(root_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0710u);  // "." is the root itself
  EXPECT_EQ(st.st_mtim.tv_sec, 1234);
  // Missing parents are made 0755.
  ASSERT_EQ(::stat(at("abs").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0755u);
  EXPECT_FALSE(fs::exists("/abs/file"));
}

TEST_P(InitramfsExtract, AbsoluteSymlinkResolvesInsideTheRoot) {
  struct stat before, after;
  ASSERT_EQ(::stat("/etc/passwd", &before), 0);
  auto r = extract_cpio(cpio({entry("etc", S_IFDIR | 0755),
                              entry("lib", S_IFLNK | 0777, "/etc"),
                              entry("lib/passwd", S_IFREG | 0644, "evil::0:0")}),
                        root_);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(slurp(at("etc/passwd")), "evil::0:0");
  ASSERT_EQ(::stat("/etc/passwd", &after), 0);
  EXPECT_EQ(after.st_ino, before.st_ino);
  EXPECT_EQ(after.st_mtim.tv_sec, before.st_mtim.tv_sec);
  EXPECT_EQ(after.st_mtim.tv_nsec, before.st_mtim.tv_nsec);
  EXPECT_NE(slurp("/etc/passwd"), "evil::0:0");
}

TEST_P(InitramfsExtract, AbsoluteSymlinkToMissingDirIsAnErrorNotAnEscape) {
  std::string name = fs::path(scratch_).filename().string() + "-escape";
  auto r = extract_cpio(
      cpio({entry("lib", S_IFLNK | 0777, "/tmp/" + name),
            entry("lib/passwd", S_IFREG | 0644, "evil")}),
      root_);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("lib/passwd"), std::string::npos)
      << r.error().message();
  EXPECT_FALSE(fs::exists("/tmp/" + name));
  EXPECT_FALSE(fs::exists(at("tmp/" + name + "/passwd")));
}

TEST_P(InitramfsExtract, RelativeSymlinkUpStaysInside) {
  std::string name = fs::path(scratch_).filename().string() + "-up";
  auto r = extract_cpio(cpio({entry("up", S_IFLNK | 0777, "../../.."),
                              entry("up/" + name, S_IFREG | 0644, "x"),
                              entry("deep", S_IFDIR | 0755),
                              entry("deep/up", S_IFLNK | 0777, "../../.."),
                              entry("deep/up/" + name + "2", S_IFREG | 0644,
                                    "y")}),
                        root_);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(slurp(at(name)), "x");
  EXPECT_EQ(slurp(at(name + "2")), "y");
  for (std::string dir : {scratch_, std::string("/tmp"), std::string("")}) {
    EXPECT_FALSE(fs::exists(dir + "/" + name));
    EXPECT_FALSE(fs::exists(dir + "/" + name + "2"));
  }
}

TEST_P(InitramfsExtract, FinalSymlinkIsReplacedNotFollowed) {
  std::string outside = scratch_ + "/outside";
  spit(outside, "precious");
  auto r = extract_cpio(cpio({entry("victim", S_IFLNK | 0777, outside),
                              entry("victim", S_IFREG | 0644, "new"),
                              entry("victim2", S_IFLNK | 0777, outside),
                              entry("victim2", S_IFDIR | 0755),
                              entry("victim3", S_IFLNK | 0777, outside),
                              entry("victim3", S_IFCHR | 0600)}),
                        root_);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(slurp(outside), "precious");
  EXPECT_EQ(slurp(at("victim")), "new");
  EXPECT_TRUE(fs::is_directory(fs::symlink_status(at("victim2"))));
  EXPECT_TRUE(fs::is_character_file(fs::symlink_status(at("victim3"))));
}

TEST_P(InitramfsExtract, LaterDuplicatesReplaceEarlierOnes) {
  auto r = extract_cpio(cpio({entry("f", S_IFREG | 0644, "one"),
                              entry("f", S_IFREG | 0600, "two"),
                              entry("d", S_IFDIR | 0755),
                              entry("d/keep", S_IFREG | 0644, "k"),
                              entry("d", S_IFDIR | 0700, {}, 42),
                              entry("l", S_IFREG | 0644, "file"),
                              entry("l", S_IFLNK | 0777, "f"),
                              entry("s", S_IFLNK | 0777, "f"),
                              entry("s", S_IFREG | 0644, "real"),
                              entry("was_dir", S_IFDIR | 0755),
                              entry("was_dir", S_IFREG | 0644, "now a file"),
                              entry("was_file", S_IFREG | 0644, "x"),
                              entry("was_file", S_IFDIR | 0751)}),
                        root_);
  ASSERT_TRUE(r) << r.error().message();
  struct stat st;
  EXPECT_EQ(slurp(at("f")), "two");
  ASSERT_EQ(::lstat(at("f").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  // A directory listed again keeps its contents and takes the new mode.
  EXPECT_EQ(slurp(at("d/keep")), "k");
  ASSERT_EQ(::lstat(at("d").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0700u);
  EXPECT_EQ(st.st_mtim.tv_sec, 42);
  EXPECT_TRUE(fs::is_symlink(fs::symlink_status(at("l"))));
  EXPECT_EQ(fs::read_symlink(at("l")), "f");
  EXPECT_TRUE(fs::is_regular_file(fs::symlink_status(at("s"))));
  EXPECT_EQ(slurp(at("s")), "real");
  EXPECT_EQ(slurp(at("was_dir")), "now a file");
  ASSERT_EQ(::lstat(at("was_file").c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 0751u);
}

TEST_P(InitramfsExtract, DirectoryReachedThroughAReplacedSymlink) {
  auto r = extract_cpio(cpio({entry("real", S_IFDIR | 0755, {}, 10),
                              entry("lnk", S_IFLNK | 0777, "real"),
                              entry("lnk/sub", S_IFDIR | 0755, {}, 20),
                              entry("lnk", S_IFREG | 0644, "now a file")}),
                        root_);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_TRUE(fs::is_directory(at("real/sub")));
  EXPECT_EQ(slurp(at("lnk")), "now a file");
  struct stat st;
  ASSERT_EQ(::lstat(at("real").c_str(), &st), 0);
  EXPECT_EQ(st.st_mtim.tv_sec, 10);
}

TEST_P(InitramfsExtract, FileOverPopulatedDirectoryIsAnError) {
  // The kernel would keep the directory and drop the file; saying so is
  // better than guessing.
  auto r = extract_cpio(cpio({entry("d", S_IFDIR | 0755),
                              entry("d/child", S_IFREG | 0644, "c"),
                              entry("d", S_IFREG | 0644, "file")}),
                        root_);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message(),
            "unlinkat d: Directory not empty (errno=39)");
}

TEST_P(InitramfsExtract, HardLinksPairOnlyWithinOneArchive) {
  CpioEntry a = entry("a", S_IFREG | 0644, "first");
  a.ino = 7;
  a.nlink = 2;
  CpioEntry b = a;
  b.name = "b";
  b.data = "second";
  auto r = extract_cpio(cpio({a}) + cpio({b}), root_);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->hardlinks, 0u);
  EXPECT_EQ(slurp(at("a")), "first");
  EXPECT_EQ(slurp(at("b")), "second");
}

TEST_P(InitramfsExtract, GarbageBetweenArchives) {
  std::string one = cpio({entry("etc", S_IFDIR | 0755), entry("etc/os-release", S_IFREG | 0644, "ID=x\n")});
  auto r = extract_cpio(one + std::string("\0\0\0\0junk", 8), root_);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().op, "read cpio");
  r = extract_cpio(std::string(64, '\0'), root_);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message(), "read cpio no archive in the input");
  r = extract_cpio(one, scratch_ + "/missing");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().err, ENOENT);
}

// --- Errors from the file system ---------------------------------------------

TEST_P(InitramfsExtract, FullDiskIsAnError) {
  if (::mount("tmpfs", root_.c_str(), "tmpfs", 0, "size=64k,nr_inodes=16") != 0)
    GTEST_SKIP() << (errno == EPERM ? "needs root: " : "") << "cannot mount tmpfs: "
                 << std::strerror(errno);
  mounted_ = true;
  auto r = extract_cpio(cpio({entry("big", S_IFREG | 0644,
                                    std::string(1 << 20, 'b'))}),
                        root_);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().err, ENOSPC);
  EXPECT_EQ(r.error().message(),
            "write big: No space left on device (errno=28)");

  std::vector<CpioEntry> many = {entry("dev", S_IFDIR | 0755)};
  for (int i = 0; i < 32; ++i) {
    CpioEntry tty = entry("dev/tty" + std::to_string(i), S_IFCHR | 0620);
    tty.rdevmajor = 4;
    tty.rdevminor = i;
    many.push_back(tty);
  }
  r = extract_cpio(cpio(many), root_);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().err, ENOSPC);
  EXPECT_EQ(r.error().op, "mknodat");
  EXPECT_EQ(r.error().detail.rfind("dev/tty", 0), 0u) << r.error().message();
}

INSTANTIATE_TEST_SUITE_P(Initramfs, InitramfsExtract,
                         ::testing::Values(Resolver::openat2,
                                           Resolver::userspace),
                         [](const auto& info) {
                           return info.param == Resolver::openat2
                                      ? "openat2"
                                      : "userspace";
                         });
