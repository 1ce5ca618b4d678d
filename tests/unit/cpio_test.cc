#include "builder/cpio.h"

#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>

#include <gtest/gtest.h>

#include "samples.h"

using namespace iofs;

namespace {

CpioEntry entry(std::string name, uint32_t mode, std::string data = {}) {
  CpioEntry e;
  e.name = std::move(name);
  e.mode = mode;
  e.data = std::move(data);
  e.mtime = 1700000000;
  return e;
}

// One entry of every type the kernel unpacks, with data lengths that
// exercise each amount of padding.
std::vector<CpioEntry> every_type() {
  std::vector<CpioEntry> v;
  v.push_back(entry(".", S_IFDIR | 0755));
  v.push_back(entry("dev", S_IFDIR | 0755));
  CpioEntry console = entry("dev/console", S_IFCHR | 0600);
  console.rdevmajor = 5;
  console.rdevminor = 1;
  v.push_back(console);
  CpioEntry disk = entry("dev/sda", S_IFBLK | 0660);
  disk.gid = 6;
  disk.rdevmajor = 8;
  v.push_back(disk);
  v.push_back(entry("dev/initctl", S_IFIFO | 0600));
  v.push_back(entry("usr", S_IFDIR | 0755));
  v.push_back(entry("usr/bin", S_IFDIR | 0755));
  CpioEntry su = entry("usr/bin/su", S_IFREG | 04755, "#!/bin/false\n");
  su.mtime = 1600000000;
  v.push_back(su);
  v.push_back(entry("bin", S_IFLNK | 0777, "usr/bin"));
  // A hard-link pair, data with the last name as GNU cpio writes it.
  CpioEntry a = entry("usr/bin/a", S_IFREG | 0755);
  a.ino = 1000;
  a.nlink = 2;
  v.push_back(a);
  CpioEntry b = entry("usr/bin/b", S_IFREG | 0755, "shared\n");
  b.ino = 1000;
  b.nlink = 2;
  v.push_back(b);
  CpioEntry home = entry("home/user", S_IFDIR | 0700);
  home.uid = home.gid = 1000;
  v.push_back(home);
  v.push_back(entry("empty", S_IFREG | 0644));
  for (int n = 1; n <= 5; ++n)
    v.push_back(entry("pad" + std::to_string(n), S_IFREG | 0644,
                      std::string(n, 'x')));
  return v;
}

std::string write(const std::vector<CpioEntry>& entries) {
  std::string out;
  CpioWriter w(out);
  for (const auto& e : entries) w.add(e);
  w.finish();
  return out;
}

std::string error_of(const Result<CpioArchive>& r) {
  return r ? std::string("(no error)") : r.error().message();
}

void expect_same(const CpioEntry& got, const CpioEntry& want) {
  SCOPED_TRACE(want.name);
  EXPECT_EQ(got.name, want.name);
  EXPECT_EQ(got.mode, want.mode);
  EXPECT_EQ(got.uid, want.uid);
  EXPECT_EQ(got.gid, want.gid);
  EXPECT_EQ(got.nlink, want.nlink);
  EXPECT_EQ(got.mtime, want.mtime);
  EXPECT_EQ(got.devmajor, want.devmajor);
  EXPECT_EQ(got.devminor, want.devminor);
  EXPECT_EQ(got.rdevmajor, want.rdevmajor);
  EXPECT_EQ(got.rdevminor, want.rdevminor);
  EXPECT_EQ(got.data, want.data);
}

// Replaces an 8-digit header field of the entry at `at`.
void set_field(std::string& s, size_t at, int field, std::string_view hex8) {
  s.replace(at + 6 + 8 * field, 8, hex8);
}
constexpr int kFilesize = 6, kNamesize = 11;

}  // namespace

TEST(Cpio, RoundTripEveryEntryType) {
  std::vector<CpioEntry> entries = every_type();
  std::string out = write(entries);
  EXPECT_EQ(out.size() % 4, 0u);
  auto archive = read_cpio(out);
  ASSERT_TRUE(archive) << archive.error().message();
  EXPECT_EQ(archive->end, out.size());
  ASSERT_EQ(archive->entries.size(), entries.size());
  uint32_t next_ino = 1;
  for (size_t i = 0; i < entries.size(); ++i) {
    expect_same(archive->entries[i], entries[i]);
    // Inode numbers: given ones kept, the others numbered from 1.
    uint32_t want = entries[i].ino ? entries[i].ino : next_ino++;
    EXPECT_EQ(archive->entries[i].ino, want) << entries[i].name;
  }
}

TEST(Cpio, EmptyArchiveIsJustTheTrailer) {
  std::string out = write({});
  EXPECT_EQ(out.size(), 124u);  // 110 + "TRAILER!!!\0" + 1 byte padding
  auto archive = read_cpio(out);
  ASSERT_TRUE(archive) << archive.error().message();
  EXPECT_TRUE(archive->entries.empty());
  EXPECT_EQ(archive->end, 124u);
}

// tests/unit/samples/cpio/small.cpio was made by this writer, by running
//   IOFS_WRITE_SAMPLES=1 unit_tests --gtest_filter=Cpio.WriterIsDeterministic
// and checked once with GNU cpio 2.13: `cpio -i -t -v < small.cpio` lists
// every name with the right type, mode, owner, size and device numbers.
TEST(Cpio, WriterIsDeterministic) {
  std::string first = write(every_type());
  EXPECT_EQ(first, write(every_type()));
  if (std::getenv("IOFS_WRITE_SAMPLES")) {
    std::ofstream(std::string(SAMPLES_DIR) + "/cpio/small.cpio",
                  std::ios::binary)
        << first;
  }
  EXPECT_EQ(first, read_sample("cpio/small.cpio"));
}

TEST(Cpio, GnuCpioListsWhatTheWriterWrote) {
  if (std::system("command -v cpio >/dev/null 2>&1") != 0)
    GTEST_SKIP() << "no GNU cpio";
  std::string cmd = std::string("cpio -i -t --quiet < ") + SAMPLES_DIR +
                    "/cpio/small.cpio";
  FILE* p = popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  std::string listing;
  char buf[256];
  while (size_t n = fread(buf, 1, sizeof buf, p)) listing.append(buf, n);
  EXPECT_EQ(pclose(p), 0);
  std::string want;
  for (const auto& e : every_type()) want += e.name + "\n";
  EXPECT_EQ(listing, want);
}

TEST(Cpio, ReadsGnuCpioNewc) {
  // Made with GNU cpio 2.13 from a tree with fixed mtimes (see
  // ReadsGnuCpioCrc): cpio -o -H newc --reproducible < list
  std::string data = read_sample("cpio/gnu-newc.cpio");
  ASSERT_EQ(data.size(), 1536u);  // GNU cpio pads to 512-byte blocks
  auto archive = read_cpio(data);
  ASSERT_TRUE(archive) << archive.error().message();
  EXPECT_LT(archive->end, data.size());
  EXPECT_EQ(archive->end % 4, 0u);
  EXPECT_EQ(data.find_first_not_of('\0', archive->end), std::string::npos);
  const auto& e = archive->entries;
  std::vector<std::string> names;
  for (const auto& x : e) names.push_back(x.name);
  EXPECT_EQ(names, (std::vector<std::string>{
                       ".", "etc", "etc/hostname", "usr", "usr/bin",
                       "usr/bin/a", "usr/bin/b", "bin", "dev", "dev/null"}));
  ASSERT_EQ(e.size(), 10u);
  for (const auto& x : e) EXPECT_EQ(x.mtime, 1700000000u) << x.name;
  EXPECT_EQ(e[0].mode, S_IFDIR | 0755u);
  EXPECT_EQ(e[2].mode, S_IFREG | 0644u);
  EXPECT_EQ(e[2].data, "initoverlayfs\n");
  // GNU cpio sends a hard link's data with its last name.
  EXPECT_EQ(e[5].ino, e[6].ino);
  EXPECT_EQ(e[5].nlink, 2u);
  EXPECT_EQ(e[5].data, "");
  EXPECT_EQ(e[6].data, "#!/bin/sh\n");
  EXPECT_EQ(e[7].mode, S_IFLNK | 0777u);
  EXPECT_EQ(e[7].data, "usr/bin");
  EXPECT_EQ(e[9].mode, S_IFCHR | 0666u);
  EXPECT_EQ(e[9].rdevmajor, 1u);
  EXPECT_EQ(e[9].rdevminor, 3u);
}

TEST(Cpio, ReadsGnuCpioCrc) {
  // The same tree: cpio -o -H crc --reproducible < list (magic 070702).
  std::string data = read_sample("cpio/gnu-crc.cpio");
  auto archive = read_cpio(data);
  ASSERT_TRUE(archive) << archive.error().message();
  ASSERT_EQ(archive->entries.size(), 10u);
  auto newc = read_cpio(read_sample("cpio/gnu-newc.cpio"));
  ASSERT_TRUE(newc);
  for (size_t i = 0; i < 10; ++i)
    expect_same(archive->entries[i], newc->entries[i]);

  size_t at = data.find("initoverlayfs\n");
  ASSERT_NE(at, std::string::npos);
  data[at] = 'I';
  auto bad = read_cpio(data);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().op, "read cpio");
  EXPECT_NE(bad.error().detail.find("checksum mismatch for 'etc/hostname'"),
            std::string::npos)
      << bad.error().message();
}

TEST(Cpio, ReadsAtOffsetAndArchivesInARow) {
  std::string one = write({entry("a", S_IFREG | 0644, "1")});
  std::string two = write({entry("b", S_IFREG | 0644, "22")});
  std::string both = one + std::string(512, '\0') + two;
  auto first = read_cpio(both);
  ASSERT_TRUE(first) << first.error().message();
  EXPECT_EQ(first->end, one.size());
  auto second = read_cpio(both, one.size() + 512);
  ASSERT_TRUE(second) << second.error().message();
  ASSERT_EQ(second->entries.size(), 1u);
  EXPECT_EQ(second->entries[0].data, "22");
  EXPECT_EQ(second->end, both.size());
  EXPECT_FALSE(read_cpio(both, both.size() + 1));
}

TEST(Cpio, TruncatedAnywhereIsAnError) {
  std::string good = write(every_type());
  // Only the trailer's padding may be missing, as the kernel reads it.
  for (size_t n = 0; n + 3 < good.size(); ++n) {
    auto r = read_cpio(std::string_view(good).substr(0, n));
    ASSERT_FALSE(r) << "accepted " << n << " of " << good.size() << " bytes";
    EXPECT_EQ(r.error().op, "read cpio");
    EXPECT_TRUE(r.error().detail.find("truncated") != std::string::npos ||
                r.error().detail.find("past the end") != std::string::npos)
        << r.error().message();
  }
  for (size_t n = good.size() - 3; n <= good.size(); ++n)
    EXPECT_TRUE(read_cpio(std::string_view(good).substr(0, n))) << n;
}

TEST(Cpio, BadMagic) {
  std::string s = write({entry("a", S_IFREG | 0644, "x")});
  s.replace(0, 6, "070707");  // the old "odc" format
  auto r = read_cpio(s);
  EXPECT_EQ(error_of(r), "read cpio at byte 0: bad magic (not a newc cpio header)");
  EXPECT_EQ(error_of(read_cpio("hello world")),
            "read cpio at byte 0: truncated header (11 of 110 bytes)");
}

TEST(Cpio, BadMagicOfSecondEntryNamesItsOffset) {
  std::string s = write({entry("a", S_IFREG | 0644, "x"), entry("b", S_IFDIR)});
  size_t second = 110 + 2 + 0 + 4;  // header, "a\0" padded to 112, data to 4
  ASSERT_EQ(s.compare(second, 6, "070701"), 0);
  s[second + 5] = '7';
  EXPECT_EQ(error_of(read_cpio(s)),
            "read cpio at byte 116: bad magic (not a newc cpio header)");
}

TEST(Cpio, BadHexDigit) {
  std::string s = write({entry("a", S_IFREG | 0644, "x")});
  s[6 + 8 * kFilesize + 3] = 'g';
  EXPECT_EQ(error_of(read_cpio(s)),
            "read cpio at byte 54: non-hex digit in header field");
  s = write({entry("a", S_IFREG | 0644, "x")});
  s[6 + 8 * kNamesize] = ' ';
  EXPECT_FALSE(read_cpio(s));
}

TEST(Cpio, AbsurdNameSize) {
  std::string s = write({entry("a", S_IFREG | 0644, "x")});
  set_field(s, 0, kNamesize, "00001001");
  EXPECT_EQ(error_of(read_cpio(s)), "read cpio at byte 0: bad name size 4097");
  set_field(s, 0, kNamesize, "FFFFFFFF");
  EXPECT_EQ(error_of(read_cpio(s)),
            "read cpio at byte 0: bad name size 4294967295");
  set_field(s, 0, kNamesize, "00000000");
  EXPECT_EQ(error_of(read_cpio(s)), "read cpio at byte 0: bad name size 0");
}

TEST(Cpio, NameWithoutNul) {
  std::string s = write({entry("abc", S_IFREG | 0644, "x")});
  set_field(s, 0, kNamesize, "00000003");  // "abc" without its NUL
  EXPECT_EQ(error_of(read_cpio(s)),
            "read cpio at byte 0: name not NUL-terminated");
  s = write({entry(std::string("a\0c", 3), S_IFREG | 0644, "x")});
  EXPECT_EQ(error_of(read_cpio(s)), "read cpio at byte 0: NUL inside name");
}

TEST(Cpio, FileSizePastTheEnd) {
  std::string s = write({entry("a", S_IFREG | 0644, "x")});
  set_field(s, 0, kFilesize, "FFFFFFFF");
  EXPECT_EQ(error_of(read_cpio(s)),
            "read cpio at byte 0: file size 4294967295 of 'a' goes past the "
            "end of input");
  set_field(s, 0, kFilesize, "00000100");
  EXPECT_FALSE(read_cpio(s));
}

TEST(Cpio, MissingTrailer) {
  std::string s = write({entry("a", S_IFREG | 0644, "x")});
  s.resize(s.size() - 124);  // drop the trailer
  EXPECT_EQ(error_of(read_cpio(s)),
            "read cpio at byte 116: truncated header (0 of 110 bytes)");
}

TEST(Cpio, RandomBytesNeverCrashAndAreRejected) {
  std::mt19937 rng(20240229);
  std::uniform_int_distribution<int> byte(0, 255), len(0, 700);
  for (int i = 0; i < 1000; ++i) {
    std::string s(len(rng), '\0');
    for (char& c : s) c = static_cast<char>(byte(rng));
    // Half of them get a valid magic, so parsing goes past the first check.
    if (i % 2 && s.size() >= 6) s.replace(0, 6, "070701");
    auto r = read_cpio(s);
    ASSERT_FALSE(r) << "random buffer " << i << " accepted";
    EXPECT_EQ(r.error().op, "read cpio");
  }
}

TEST(Cpio, EveryMutationOfAValidArchiveIsSafe) {
  const std::string good = write(every_type());
  size_t rejected = 0, total = 0;
  for (size_t i = 0; i < good.size(); ++i) {
    for (char c : {'\0', 'Z', '7', 'F', '\xff'}) {
      if (good[i] == c) continue;
      std::string s = good;
      s[i] = c;
      auto r = read_cpio(s);
      ++total;
      if (!r) {
        ++rejected;
        EXPECT_EQ(r.error().op, "read cpio");
        EXPECT_FALSE(r.error().detail.empty());
      } else {
        EXPECT_LE(r->end, s.size());
      }
    }
  }
  // Most of an archive is header digits and names; most changes break it.
  EXPECT_GT(rejected, total / 3);
}
