#include "builder/initramfs_input.h"

#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cstdlib>
#include <map>

#include <gtest/gtest.h>

#include "builder/cpio.h"
#include "cpio_tree.h"

using namespace iofs;
using namespace cpio_tree;

namespace {

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

bool have(const std::string& tool) {
  return std::system(("command -v " + tool + " >/dev/null 2>&1").c_str()) == 0;
}

class Initramfs : public ScratchRoot {
 protected:
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
};

struct Tool {
  std::string compression;
  std::string command;  // a filter from stdin to stdout
};

class InitramfsCompressed : public Initramfs,
                            public ::testing::WithParamInterface<Tool> {};

void PrintTo(const Tool& t, std::ostream* os) { *os << t.compression; }

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

// Debian 13's initramfs-tools (0.148): the microcode, then an uncompressed
// archive of the files that are compressed already (modules *.ko.xz), then
// the compressed main archive. Only the microcode is early: the modules
// archive must not go in front of the mini initramfs (it would carry every
// module uncompressed), but its files are unpacked with the rest.
TEST_F(Initramfs, PrecompressedFilesArchiveIsNotEarly) {
  std::string microcode = cpio(microcode_entries());
  std::string modules = cpio({entry("usr", S_IFDIR | 0755), entry("usr/lib", S_IFDIR | 0755),
                              entry("usr/lib/modules", S_IFDIR | 0755),
                              entry("usr/lib/modules/ext4.ko.xz", S_IFREG | 0644,
                                    std::string("\xfd" "7zXZ\0ext4", 10))});
  std::string main = cpio(main_entries());
  std::vector<std::string> tails = {main};  // uncompressed: the last archive is the main one
  if (have("gzip")) tails.push_back(run("gzip -n -c", main));
  for (const auto& tail : tails) {
    SCOPED_TRACE(tail == main ? "uncompressed" : "gzip");
    auto parts = split_initramfs(microcode + modules + tail);
    ASSERT_TRUE(parts) << parts.error().message();
    EXPECT_EQ(parts->early, microcode);
    EXPECT_EQ(parts->archives.size(), 3u);
    // Without microcode nothing is early, and no padding is kept either.
    parts = split_initramfs(modules + std::string(12, '\0') + tail);
    ASSERT_TRUE(parts) << parts.error().message();
    EXPECT_EQ(parts->early, "");
  }
  SKIP_UNLESS_ROOT_FOR_MAIN_ENTRIES();  // the split is checked; extracting it is not
  for (const auto& tail : tails) {
    SCOPED_TRACE(tail == main ? "uncompressed" : "gzip");
    std::string file = microcode + modules + tail;
    std::string dir = at(std::to_string(tail.size()));
    ASSERT_EQ(::mkdir(dir.c_str(), 0755), 0);
    auto u = unpack_initramfs(file, dir, {});
    ASSERT_TRUE(u) << u.error().message();
    EXPECT_EQ(u->early, microcode);
    EXPECT_EQ(slurp(dir + "/usr/lib/modules/ext4.ko.xz"), std::string("\xfd" "7zXZ\0ext4", 10));
    EXPECT_EQ(slurp(dir + "/kernel/x86/microcode/GenuineIntel.bin"),
              std::string("\x01\x00\x00\x00microcode\xff", 14));
  }
}
