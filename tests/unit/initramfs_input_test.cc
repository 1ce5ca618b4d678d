#include "builder/initramfs_input.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <gtest/gtest.h>

#include "builder/cpio.h"

using namespace iofs;
namespace fs = std::filesystem;

namespace {

CpioEntry entry(std::string name, uint32_t mode, std::string data = {},
                uint32_t mtime = 1700000000) {
  CpioEntry e;
  e.name = std::move(name);
  e.mode = mode;
  // Our own: any user can extract it (fchown to oneself needs no privilege).
  e.uid = ::geteuid();
  e.gid = ::getegid();
  e.data = std::move(data);
  e.mtime = mtime;
  return e;
}

std::string cpio(const std::vector<CpioEntry>& entries) {
  std::string out;
  CpioWriter w(out);
  for (const auto& e : entries) w.add(e);
  w.finish();
  return out;
}

// What dracut puts first: the microcode, uncompressed, padded by GNU cpio
// to a 512-byte block.
std::vector<CpioEntry> microcode_entries() {
  return {entry("kernel", S_IFDIR | 0755), entry("kernel/x86", S_IFDIR | 0755),
          entry("kernel/x86/microcode", S_IFDIR | 0755),
          entry("kernel/x86/microcode/GenuineIntel.bin", S_IFREG | 0644,
                std::string("\x01\x00\x00\x00microcode\xff", 14))};
}

std::string pad512(std::string s) {
  s.resize((s.size() + 511) / 512 * 512, '\0');
  return s;
}

// A root filesystem with every kind of entry, distinct mtimes, and
// directories listed before their contents as find(1) lists them.
std::vector<CpioEntry> main_entries() {
  std::vector<CpioEntry> v;
  v.push_back(entry(".", S_IFDIR | 0755, {}, 1600000001));
  v.push_back(entry("usr", S_IFDIR | 0755, {}, 1600000002));
  v.push_back(entry("usr/bin", S_IFDIR | 0755, {}, 1600000003));
  v.push_back(entry("usr/bin/su", S_IFREG | 04755, "#!/bin/false\n", 1600000004));
  CpioEntry sg = entry("usr/bin/write", S_IFREG | 02755, "w", 1600000005);
  sg.gid = 5;
  v.push_back(sg);
  v.push_back(entry("bin", S_IFLNK | 0777, "usr/bin", 1600000006));
  v.push_back(entry("sbin", S_IFLNK | 0777, "/usr/bin", 1600000007));
  v.push_back(entry("dangling", S_IFLNK | 0777, "../../nowhere", 1600000008));
  v.push_back(entry("dev", S_IFDIR | 0755, {}, 1600000009));
  CpioEntry console = entry("dev/console", S_IFCHR | 0600, {}, 1600000010);
  console.rdevmajor = 5;
  console.rdevminor = 1;
  v.push_back(console);
  CpioEntry disk = entry("dev/vda", S_IFBLK | 0660, {}, 1600000011);
  disk.gid = 6;
  disk.rdevmajor = 252;
  disk.rdevminor = 3;
  v.push_back(disk);
  v.push_back(entry("dev/initctl", S_IFIFO | 0600, {}, 1600000012));
  // Hard links: data with the last name (GNU cpio) and with the first.
  CpioEntry a = entry("usr/bin/gzip", S_IFREG | 0755, {}, 1600000013);
  a.ino = 900;
  a.nlink = 3;
  v.push_back(a);
  CpioEntry b = a;
  b.name = "usr/bin/gunzip";
  v.push_back(b);
  CpioEntry c = a;
  c.name = "usr/bin/zcat";
  c.data = "#!/bin/sh\nexec gzip -dc\n";
  v.push_back(c);
  CpioEntry d = entry("usr/bin/xz", S_IFREG | 0755, "xz binary", 1600000014);
  d.ino = 901;
  d.nlink = 2;
  v.push_back(d);
  CpioEntry e = d;
  e.name = "usr/bin/unxz";
  e.data.clear();
  v.push_back(e);
  CpioEntry home = entry("home/user", S_IFDIR | 0700, {}, 1600000015);
  home.uid = home.gid = 1000;
  v.push_back(home);
  CpioEntry note = entry("home/user/note", S_IFREG | 0600, "hi", 1600000016);
  note.uid = note.gid = 1000;
  v.push_back(note);
  v.push_back(entry("etc", S_IFDIR | 0755, {}, 1600000017));
  v.push_back(entry("etc/initrd-release", S_IFREG | 0644,
                    std::string(100000, 'r'), 1600000018));
  v.push_back(entry("etc/empty", S_IFREG | 0000, {}, 1600000019));
  return v;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void spit(const std::string& path, std::string_view data) {
  std::ofstream(path, std::ios::binary) << data;
}

bool have(const std::string& tool) {
  return std::system(("command -v " + tool + " >/dev/null 2>&1").c_str()) == 0;
}

// main_entries() holds files of other users and groups (fchown needs
// CAP_CHOWN) and device nodes (mknod needs CAP_MKNOD): only root extracts it.
#define SKIP_UNLESS_ROOT_FOR_MAIN_ENTRIES()                                              \
  do {                                                                                   \
    if (::geteuid() != 0)                                                                \
      GTEST_SKIP() << "needs root: extracts files owned by uid 1000 and gid 5 and device " \
                      "nodes (fchown, mknod)";                                           \
  } while (0)

class Initramfs : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/iofs-initramfs-test.XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    scratch_ = tmpl;
    root_ = scratch_ + "/root";
    ASSERT_EQ(::mkdir(root_.c_str(), 0755), 0);
  }
  void TearDown() override {
    if (mounted_) ::umount2(root_.c_str(), MNT_DETACH);
    std::error_code ec;
    fs::remove_all(scratch_, ec);
  }

  // Runs `command` as a filter over `data`.
  std::string run(const std::string& command, std::string_view data) {
    std::string in = scratch_ + "/filter.in", out = scratch_ + "/filter.out";
    spit(in, data);
    std::string cmd = command + " < " + in + " > " + out;
    EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
    return slurp(out);
  }

  // Every archive of `parts`, unpacked into root_ in order.
  void extract_all(const InitramfsParts& parts) {
    for (const auto& a : parts.archives) {
      auto r = extract_cpio(a, root_);
      ASSERT_TRUE(r) << r.error().message();
    }
  }

  std::string at(const std::string& name) const { return root_ + "/" + name; }

  void expect_tree(const std::vector<CpioEntry>& entries) {
    // A hard-link group's data comes with one of its names.
    std::map<uint32_t, std::string> link_data;
    for (const auto& e : entries)
      if (e.nlink > 1 && !e.data.empty()) link_data[e.ino] = e.data;
    std::map<uint32_t, ino_t> link_inodes;
    for (const auto& e : entries) {
      SCOPED_TRACE(e.name);
      std::string path = e.name == "." ? root_ : at(e.name);
      struct stat st;
      ASSERT_EQ(::lstat(path.c_str(), &st), 0) << path;
      EXPECT_EQ(st.st_mode & S_IFMT, e.mode & S_IFMT);
      EXPECT_EQ(st.st_uid, e.uid);
      EXPECT_EQ(st.st_gid, e.gid);
      EXPECT_EQ(st.st_mtim.tv_sec, static_cast<time_t>(e.mtime));
      if (S_ISLNK(st.st_mode)) {
        char buf[4096];
        ssize_t n = ::readlink(path.c_str(), buf, sizeof buf);
        ASSERT_GT(n, 0);
        EXPECT_EQ(std::string(buf, n), e.data);
        continue;  // a symlink's mode means nothing
      }
      EXPECT_EQ(st.st_mode & 07777, e.mode & 07777);
      if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
        EXPECT_EQ(major(st.st_rdev), e.rdevmajor);
        EXPECT_EQ(minor(st.st_rdev), e.rdevminor);
      }
      if (S_ISREG(st.st_mode)) {
        if (e.nlink > 1) {
          EXPECT_EQ(st.st_nlink, e.nlink);
          auto [it, first] = link_inodes.try_emplace(e.ino, st.st_ino);
          EXPECT_EQ(it->second, st.st_ino) << "not a hard link";
          EXPECT_EQ(slurp(path), link_data[e.ino]);
        } else {
          EXPECT_EQ(slurp(path), e.data);
        }
      }
    }
  }

  std::string scratch_, root_;
  bool mounted_ = false;
};

struct Tool {
  std::string compression;
  std::string command;  // a filter from stdin to stdout
};

class InitramfsCompressed : public Initramfs,
                            public ::testing::WithParamInterface<Tool> {};

void PrintTo(const Tool& t, std::ostream* os) { *os << t.compression; }

enum class Resolver { openat2, userspace };
void PrintTo(Resolver r, std::ostream* os) {
  *os << (r == Resolver::openat2 ? "openat2" : "userspace");
}

// Extraction, both with openat2 and with the walk used where the kernel
// (before 5.6) or valgrind lacks it.
class InitramfsExtract : public Initramfs,
                         public ::testing::WithParamInterface<Resolver> {
 protected:
  void SetUp() override {
    Initramfs::SetUp();
    extract_without_openat2_for_testing(GetParam() == Resolver::userspace);
  }
  void TearDown() override {
    extract_without_openat2_for_testing(false);
    Initramfs::TearDown();
  }
};

}  // namespace

TEST_P(InitramfsCompressed, SplitsLikeDracutMadeItAndExtractsFaithfully) {
  const Tool& tool = GetParam();
  std::string program = tool.command.substr(0, tool.command.find(' '));
  if (!program.empty() && !have(program)) GTEST_SKIP() << "no " << program;
  std::string early = cpio(microcode_entries());
  std::string main = cpio(main_entries());
  std::string file = pad512(early);
  file += tool.command.empty() ? main : run(tool.command, main);

  auto parts = split_initramfs(file);
  ASSERT_TRUE(parts) << parts.error().message();
  EXPECT_EQ(parts->compression, tool.compression);
  EXPECT_EQ(parts->early, pad512(early));
  ASSERT_EQ(parts->archives.size(), 2u);
  EXPECT_EQ(parts->archives[0], early);
  EXPECT_EQ(parts->archives[1], main);

  SKIP_UNLESS_ROOT_FOR_MAIN_ENTRIES();  // the split is checked; extracting it is not
  extract_all(*parts);
  expect_tree(microcode_entries());
  expect_tree(main_entries());
  // The early archive's directories keep their mtimes too.
  struct stat st;
  ASSERT_EQ(::lstat(at("kernel/x86").c_str(), &st), 0);
  EXPECT_EQ(st.st_mtim.tv_sec, 1700000000);
}

TEST_P(InitramfsCompressed, TruncatedStreamIsAClearError) {
  const Tool& tool = GetParam();
  std::string program = tool.command.substr(0, tool.command.find(' '));
  if (!program.empty() && !have(program)) GTEST_SKIP() << "no " << program;
  std::string main = cpio(main_entries());
  std::string stream = tool.command.empty() ? main : run(tool.command, main);
  std::string file = pad512(cpio(microcode_entries())) +
                     stream.substr(0, stream.size() / 2);
  auto parts = split_initramfs(file);
  if (tool.command.empty()) {
    ASSERT_FALSE(parts);
    EXPECT_EQ(parts.error().op, "read cpio") << parts.error().message();
    return;
  }
  if (parts) {
    // lz4's legacy frame has no end marker or checksum: a cut at a block
    // boundary is a shorter stream; the cpio inside is then cut short.
    ASSERT_EQ(parts->archives.size(), 2u);
    auto r = extract_cpio(parts->archives[1], root_);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().op, "read cpio") << r.error().message();
    return;
  }
  EXPECT_EQ(parts.error().op, "decompress") << parts.error().message();
  EXPECT_NE(parts.error().detail.find(tool.compression + " stream at byte"),
            std::string::npos)
      << parts.error().message();
}

INSTANTIATE_TEST_SUITE_P(
    Initramfs, InitramfsCompressed,
    ::testing::Values(Tool{"gzip", "gzip -n -c"}, Tool{"zstd", "zstd -q -c"},
                      Tool{"xz", "xz --check=crc32 -c"},
                      Tool{"lz4", "lz4 -l -q -c"}, Tool{"bzip2", "bzip2 -c"},
                      Tool{"lzop", "lzop -c"}, Tool{"lzma", "lzma -c"},
                      Tool{"none", ""}),
    [](const auto& info) { return info.param.compression; });

TEST_F(Initramfs, GarbledStreamsAreClearErrors) {
  // Formats with checksums notice a flipped byte.
  for (std::string cmd : {"gzip -n -c", "zstd -q -c", "xz --check=crc32 -c",
                          "bzip2 -c", "lzop -c"}) {
    std::string program = cmd.substr(0, cmd.find(' '));
    if (!have(program)) continue;
    SCOPED_TRACE(cmd);
    std::string compressed = run(cmd, cpio(main_entries()));
    compressed[compressed.size() / 2] ^= 0x55;
    auto parts = split_initramfs(compressed);
    ASSERT_FALSE(parts);
    EXPECT_EQ(parts.error().op, "decompress");
    EXPECT_NE(parts.error().detail.find(program + " stream at byte 0"),
              std::string::npos)
        << parts.error().message();
  }
}

TEST_F(Initramfs, NotAnInitramfs) {
  auto r = split_initramfs("");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message(), "read initramfs no cpio archive in the file");
  EXPECT_FALSE(split_initramfs(std::string(4096, '\0')));
  std::string early = pad512(cpio(microcode_entries()));
  r = split_initramfs(early + "PK\x03\x04 zip");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message(),
            "read initramfs at byte " + std::to_string(early.size()) +
                ": neither a cpio archive nor a "
            "compressed stream the kernel knows");
  // The lz4 frame format (not the legacy one) is not something the kernel
  // decompresses.
  EXPECT_FALSE(split_initramfs("\x04\x22\x4d\x18 frame"));
  // An uncompressed archive must start 4-byte aligned.
  EXPECT_FALSE(split_initramfs(std::string(2, '\0') + cpio(main_entries())));
  // A broken uncompressed archive.
  std::string broken = cpio(main_entries());
  broken.resize(300);
  r = split_initramfs(broken);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().op, "read cpio");
}

TEST_F(Initramfs, KernelStyleConcatenation) {
  for (const char* tool : {"gzip", "zstd", "xz", "lzma", "bzip2", "lzop", "lz4"})
    if (!have(tool)) GTEST_SKIP() << "no " << tool;
  auto part = [](int i) {
    return cpio({entry("part" + std::to_string(i), S_IFREG | 0644,
                       std::string(1000 * i, 'a' + i))});
  };
  std::string early1 = cpio(microcode_entries());
  std::string early2 = cpio({entry("kernel/firmware/acpi/dsdt.aml",
                                   S_IFREG | 0644, "DSDT")});
  std::string file = early1 + early2 + std::string(8, '\0');
  size_t early_size = file.size();
  std::vector<std::string> want = {early1, early2};
  auto add = [&](const std::string& cmd, std::string archive,
                 size_t zeros = 0) {
    file += cmd.empty() ? archive : run(cmd, archive);
    file.append(zeros, '\0');
    want.push_back(std::move(archive));
  };
  add("gzip -n -c", part(1), 3);
  // After a compressed stream, zero padding to a 4-byte boundary, then an
  // uncompressed archive.
  file.append((4 - file.size() % 4) % 4, '\0');
  add("", part(2));
  add("zstd -q -c", part(3) + std::string(12, '\0') + part(4), 1);
  add("xz --check=crc32 -c", part(5), 4);
  add("lzma -c", part(6), 5);
  add("bzip2 -c", part(7));
  add("lzop -c", part(8), 2);
  add("gzip -n -c", part(9));
  add("lz4 -l -q -c", part(10), 16);

  auto parts = split_initramfs(file);
  ASSERT_TRUE(parts) << parts.error().message();
  EXPECT_EQ(parts->compression, "gzip");
  EXPECT_EQ(parts->early, file.substr(0, early_size));
  ASSERT_EQ(parts->archives.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i)
    EXPECT_EQ(parts->archives[i], want[i]) << "archive " << i;

  extract_all(*parts);
  for (int i = 1; i <= 10; ++i)
    EXPECT_EQ(slurp(at("part" + std::to_string(i))),
              std::string(1000 * i, 'a' + i));
  EXPECT_EQ(slurp(at("kernel/firmware/acpi/dsdt.aml")), "DSDT");
}

TEST_F(Initramfs, UncompressedOnlyTheLastArchiveIsMain) {
  std::string early = pad512(cpio(microcode_entries()));
  std::string main = cpio(main_entries());
  auto parts = split_initramfs(early + main);
  ASSERT_TRUE(parts) << parts.error().message();
  EXPECT_EQ(parts->compression, "none");
  EXPECT_EQ(parts->early, early);
  // Without microcode there is nothing early.
  parts = split_initramfs(main);
  ASSERT_TRUE(parts) << parts.error().message();
  EXPECT_EQ(parts->early, "");
  ASSERT_EQ(parts->archives.size(), 1u);
  if (have("gzip")) {
    parts = split_initramfs(run("gzip -n -c", main));
    ASSERT_TRUE(parts) << parts.error().message();
    EXPECT_EQ(parts->early, "");
    EXPECT_EQ(parts->compression, "gzip");
  }
}

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
  EXPECT_FALSE(fs::exists("/tmp/x"));
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
