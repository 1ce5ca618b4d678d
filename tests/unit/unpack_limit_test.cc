// --max-unpacked-size and the streaming unpack of an input initramfs
// (unpack_limit.h, unpack_initramfs in initramfs_input.h).
#include "builder/unpack_limit.h"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <gtest/gtest.h>

#include "builder/cpio.h"
#include "builder/initramfs_input.h"
#include "builder/interrupt.h"
#include "builder/options.h"

using namespace iofs;
namespace fs = std::filesystem;

TEST(ParseSize, NumbersAndBinarySuffixes) {
  EXPECT_EQ(parse_size("4096").value(), 4096u);
  EXPECT_EQ(parse_size("1K").value(), 1024u);
  EXPECT_EQ(parse_size("512m").value(), 512u << 20);
  EXPECT_EQ(parse_size("64MiB").value(), 64u << 20);
  EXPECT_EQ(parse_size("8G").value(), uint64_t{8} << 30);
  EXPECT_EQ(parse_size("2gb").value(), uint64_t{2} << 30);
  EXPECT_EQ(parse_size("1T").value(), uint64_t{1} << 40);
  EXPECT_EQ(parse_size("100B").value(), 100u);
}

TEST(ParseSize, RefusesWhatIsNotASize) {
  for (const char* bad : {"", "M", "0", "0G", "-1", "1.5G", "12X", "1KK", "1 M", "10Gibi",
                          "99999999999999999999", "17179869184G"})
    EXPECT_FALSE(parse_size(bad)) << "'" << bad << "'";
  EXPECT_NE(parse_size("12X").error().detail.find("e.g. 512M"), std::string::npos);
}

TEST(FormatSize, ExactUnitsElseBytes) {
  EXPECT_EQ(format_size(1 << 20), "1 MiB");
  EXPECT_EQ(format_size(uint64_t{8} << 30), "8 GiB");
  EXPECT_EQ(format_size(1536), "1536 bytes");
  EXPECT_EQ(format_size(1), "1 byte");
}

TEST(MaxUnpacked, DefaultIsTheFreeScratchSpaceAtMost8GiB) {
  EXPECT_EQ(default_max_unpacked(100 << 20), 100u << 20);
  EXPECT_EQ(default_max_unpacked(uint64_t{1} << 40), kMaxUnpackedCeiling);
  EXPECT_EQ(kMaxUnpackedCeiling, uint64_t{8} << 30);
}

TEST(MaxUnpacked, OptionParsesAndDefaultsToZero) {
  auto o = parse_builder_options({"--max-unpacked-size", "64M"});
  ASSERT_TRUE(o) << o.error().message();
  EXPECT_EQ(o->max_unpacked_size, 64u << 20);
  EXPECT_EQ(parse_builder_options({})->max_unpacked_size, 0u);
  auto bad = parse_builder_options({"--max-unpacked-size=lots"});
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message().find("--max-unpacked-size"), std::string::npos);
  EXPECT_NE(builder_usage().find("--max-unpacked-size SIZE"), std::string::npos);
}

namespace {

CpioEntry file_entry(std::string name, std::string data, uint32_t mode = S_IFREG | 0644) {
  CpioEntry e;
  e.name = std::move(name);
  e.mode = mode;
  e.mtime = 1700000000;
  e.data = std::move(data);
  return e;
}

std::string cpio(const std::vector<CpioEntry>& entries) {
  std::string out;
  CpioWriter w(out);
  for (const auto& e : entries) w.add(e);
  w.finish();
  return out;
}

std::string zstd(std::string_view data) {
  std::string out(ZSTD_compressBound(data.size()), '\0');
  size_t n = ZSTD_compress(out.data(), out.size(), data.data(), data.size(), 3);
  EXPECT_FALSE(ZSTD_isError(n));
  out.resize(n);
  return out;
}

std::string pseudo_random(size_t n, uint32_t seed) {
  std::string s(n, '\0');
  for (char& c : s) {
    seed = seed * 1103515245 + 12345;
    c = static_cast<char>(seed >> 16);
  }
  return s;
}

// path -> mode, size, contents (or symlink target)
std::map<std::string, std::string> describe(const std::string& root) {
  std::map<std::string, std::string> m;
  for (auto& e : fs::recursive_directory_iterator(root)) {
    struct stat st;
    ::lstat(e.path().c_str(), &st);
    std::ostringstream d;
    d << std::oct << st.st_mode << " " << std::dec << st.st_mtim.tv_sec << " ";
    if (S_ISREG(st.st_mode)) {
      std::ifstream f(e.path(), std::ios::binary);
      d << f.rdbuf();
    } else if (S_ISLNK(st.st_mode)) {
      d << fs::read_symlink(e.path()).string();
    }
    m[fs::relative(e.path(), root).string()] = d.str();
  }
  return m;
}

class Unpack : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "extraction sets owners: needs root";
    char tmpl[] = "/tmp/iofs-unpack-test.XXXXXX";
    ASSERT_TRUE(::mkdtemp(tmpl));
    dir_ = tmpl;
    fs::create_directory(dir_ + "/a");
    fs::create_directory(dir_ + "/b");
  }
  void TearDown() override {
    if (!dir_.empty()) fs::remove_all(dir_);
  }
  std::string dir_;
};

// Entries that cross the 1 MiB chunks the stream is read in: a 3 MiB
// file, many small ones, a symlink and directories.
std::vector<CpioEntry> chunky_entries() {
  std::vector<CpioEntry> v;
  v.push_back(file_entry(".", {}, S_IFDIR | 0755));
  v.push_back(file_entry("usr", {}, S_IFDIR | 0755));
  v.push_back(file_entry("usr/big", pseudo_random(3 << 20, 7)));
  for (int i = 0; i < 300; ++i)
    v.push_back(file_entry("usr/f" + std::to_string(i), pseudo_random(i * 37 % 9000, i)));
  v.push_back(file_entry("bin", "usr", S_IFLNK | 0777));
  v.push_back(file_entry("usr/setuid", "x", S_IFREG | 04755));
  return v;
}

}  // namespace

TEST_F(Unpack, StreamingGivesTheTreeOfSplitAndExtract) {
  std::string early = cpio({file_entry("kernel", {}, S_IFDIR | 0755),
                            file_entry("kernel/ucode.bin", "microcode")});
  early.resize((early.size() + 511) / 512 * 512, '\0');
  std::string main = cpio(chunky_entries());
  // Two archives in one stream, as the kernel allows.
  std::string file = early + zstd(main + std::string(16, '\0') + cpio({file_entry("late", "l")}));

  auto parts = split_initramfs(file);
  ASSERT_TRUE(parts) << parts.error().message();
  for (const std::string& a : parts->archives) ASSERT_TRUE(extract_cpio(a, dir_ + "/a"));

  auto u = unpack_initramfs(file, dir_ + "/b", {});
  ASSERT_TRUE(u) << u.error().message();
  EXPECT_EQ(u->early, parts->early);
  EXPECT_EQ(u->compression, "zstd");
  EXPECT_EQ(u->unpacked_bytes, parts->archives[0].size() + parts->archives[1].size());
  EXPECT_FALSE(u->has_marker);
  EXPECT_EQ(u->stats.files, 300u + 4u);
  EXPECT_TRUE(describe(dir_ + "/a") == describe(dir_ + "/b"));
}

TEST_F(Unpack, UncompressedArchivesToo) {
  // Early: every entry under kernel/, as the microcode is.
  std::string a1 = cpio({file_entry("kernel", {}, S_IFDIR | 0755), file_entry("kernel/early", "e")}),
              a2 = cpio(chunky_entries());
  std::string file = a1 + std::string(4, '\0') + a2;
  auto u = unpack_initramfs(file, dir_ + "/b", {});
  ASSERT_TRUE(u) << u.error().message();
  EXPECT_EQ(u->compression, "none");
  EXPECT_EQ(u->early, a1 + std::string(4, '\0'));
  EXPECT_TRUE(fs::exists(dir_ + "/b/usr/big"));
}

// A decompression bomb: 2 KiB of zstd that unpacks to 64 MiB of zeros.
TEST_F(Unpack, BombIsRefusedAtTheLimit) {
  std::string bomb = zstd(cpio({file_entry("zeros", std::string(64 << 20, '\0'))}));
  ASSERT_LT(bomb.size(), 16u << 10);
  auto u = unpack_initramfs(bomb, dir_ + "/b", {.max_unpacked = 1 << 20});
  ASSERT_FALSE(u);
  EXPECT_EQ(u.error().op, "unpack");
  EXPECT_EQ(u.error().err, EFBIG);
  EXPECT_NE(u.error().detail.find("more than 1048576 bytes"), std::string::npos)
      << u.error().message();
  // Nothing of the 64 MiB file was written: it never completed.
  EXPECT_FALSE(fs::exists(dir_ + "/b/zeros"));

  auto parts = split_initramfs(bomb, 1 << 20);
  ASSERT_FALSE(parts);
  EXPECT_EQ(parts.error().err, EFBIG);
  // At the limit exactly, it is not refused.
  std::string small = zstd(cpio({file_entry("zeros", std::string(1000, '\0'))}));
  uint64_t size = cpio({file_entry("zeros", std::string(1000, '\0'))}).size();
  EXPECT_TRUE(unpack_initramfs(small, dir_ + "/b", {.max_unpacked = size}));
  fs::remove_all(dir_ + "/b/zeros");
  EXPECT_FALSE(unpack_initramfs(small, dir_ + "/b", {.max_unpacked = size - 1}));
}

TEST_F(Unpack, LimitCountsEveryArchive) {
  std::string a = cpio({file_entry("a", std::string(3000, 'a'))});
  std::string file = a + zstd(a);
  EXPECT_TRUE(unpack_initramfs(file, dir_ + "/b", {.max_unpacked = 2 * a.size()}));
  fs::remove_all(dir_ + "/b/a");
  EXPECT_FALSE(unpack_initramfs(file, dir_ + "/b", {.max_unpacked = 2 * a.size() - 1}));
}

TEST_F(Unpack, MarkerIsReported) {
  std::string file = zstd(cpio({file_entry("etc", {}, S_IFDIR | 0755),
                                file_entry("etc/made-by-us", "1")}));
  auto u = unpack_initramfs(file, dir_ + "/b", {.marker = "etc/made-by-us"});
  ASSERT_TRUE(u) << u.error().message();
  EXPECT_TRUE(u->has_marker);
}

TEST_F(Unpack, TruncatedOrCorruptStreamsAreClearErrors) {
  std::string main = cpio(chunky_entries());
  std::string z = zstd(main);
  auto cut = unpack_initramfs(std::string_view(z).substr(0, z.size() / 2), dir_ + "/b", {});
  ASSERT_FALSE(cut);
  EXPECT_EQ(cut.error().op, "decompress") << cut.error().message();

  // A stream that ends inside an entry: the cpio reader says so.
  std::string short_cpio = main.substr(0, main.size() - 200);
  fs::remove_all(dir_ + "/b");
  fs::create_directory(dir_ + "/b");
  auto trunc = unpack_initramfs(zstd(short_cpio), dir_ + "/b", {});
  ASSERT_FALSE(trunc);
  EXPECT_EQ(trunc.error().op, "read cpio") << trunc.error().message();
}

namespace {
// Runs a filter (e.g. "gzip -n -c") over `data`.
std::string filter(const std::string& dir, const std::string& command, const std::string& data) {
  { std::ofstream(dir + "/in", std::ios::binary) << data; }
  EXPECT_EQ(std::system((command + " <" + dir + "/in >" + dir + "/out").c_str()), 0);
  std::ifstream f(dir + "/out", std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(f)), {});
}
}  // namespace

// Streams that stop cleanly (gzip, bzip2) tell where the next part starts
// by what libarchive consumed; read in 1 MiB slices, that must still be
// the end of the stream, not of the slice.
TEST_F(Unpack, StreamsFollowingEachOtherAcrossSlices) {
  for (const char* tool : {"gzip -n -1 -c", "bzip2 -c", "zstd -q -c", "xz --check=crc32 -c",
                           "lzma -c", "lzop -c", "lz4 -l -q -c"}) {
    std::string name = std::string(tool).substr(0, std::string(tool).find(' '));
    if (std::system(("command -v " + name + " >/dev/null").c_str()) != 0) continue;
    SCOPED_TRACE(tool);
    // Incompressible, so that each stream is more than one slice.
    std::string first = cpio({file_entry("usr", {}, S_IFDIR | 0755),
                              file_entry("usr/big", pseudo_random(3 << 19, 5))});
    std::string second = cpio({file_entry("second", pseudo_random(5 << 18, 99))});
    std::string file = filter(dir_, tool, first);
    file.resize((file.size() + 3) / 4 * 4, '\0');
    file += filter(dir_, tool, second);
    fs::remove_all(dir_ + "/b");
    fs::create_directory(dir_ + "/b");
    auto u = unpack_initramfs(file, dir_ + "/b", {});
    ASSERT_TRUE(u) << u.error().message();
    EXPECT_EQ(u->unpacked_bytes, first.size() + second.size());
    EXPECT_EQ(fs::file_size(dir_ + "/b/second"), 5u << 18);
    EXPECT_EQ(fs::file_size(dir_ + "/b/usr/big"), 3u << 19);
  }
}

// A signal during the unpack stops it at the next chunk or entries.
TEST_F(Unpack, StopsOnceASignalArrived) {
  install_interrupt_handlers();
  ::raise(SIGTERM);
  auto u = unpack_initramfs(zstd(cpio(chunky_entries())), dir_ + "/b", {});
  reset_interrupt_for_testing();
  ASSERT_FALSE(u);
  EXPECT_EQ(u.error().message(), "interrupted by SIGTERM");
  EXPECT_FALSE(fs::exists(dir_ + "/b/usr/big"));
}
