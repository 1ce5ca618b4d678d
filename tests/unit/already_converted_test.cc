// A builder run from a hook must recognise its own output as input.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

#include "builder/cpio.h"
#include "builder/initramfs_input.h"
#include "builder/mini_initramfs.h"
#include "core/sys.h"

using namespace iofs;

namespace {

std::string temp_dir() {
  std::string t = "/tmp/iofs-unit-XXXXXX";
  EXPECT_NE(::mkdtemp(t.data()), nullptr);
  return t;
}

std::string mini_initramfs_bytes(const std::string& compression, const std::string& early = {}) {
  std::string dir = temp_dir();
  std::ofstream(dir + "/program") << "#!/bin/sh\n";
  MiniInitramfsSpec spec;
  spec.program = dir + "/program";
  spec.config_text = "bootfs LABEL=boot\n";
  spec.kver = "6.12.0";
  spec.compression = compression;
  spec.early_cpio = early;
  std::string out = dir + "/mini.img";
  auto cpio = mini_initramfs_cpio(spec);
  EXPECT_TRUE(cpio);
  EXPECT_TRUE(write_mini_initramfs(spec, *cpio, out));
  std::string bytes = sys::read_file(out).value();
  std::system(("rm -rf " + dir).c_str());
  return bytes;
}

std::string plain_cpio(std::initializer_list<const char*> names) {
  std::string out;
  CpioWriter w(out);
  for (const char* n : names) w.add(CpioEntry{.name = n, .mode = 0100644, .data = "x"});
  w.finish();
  return out;
}

}  // namespace

TEST(AlreadyConverted, OwnOutputIsRecognised) {
  for (const char* c : {"zstd", "gzip", "none"}) {
    auto parts = split_initramfs(mini_initramfs_bytes(c));
    ASSERT_TRUE(parts) << c;
    EXPECT_TRUE(is_mini_initramfs(*parts)) << c;
  }
}

TEST(AlreadyConverted, BehindEarlyMicrocode) {
  std::string early = plain_cpio({"kernel", "kernel/x86", "kernel/x86/microcode",
                                  "kernel/x86/microcode/GenuineIntel.bin"});
  auto parts = split_initramfs(mini_initramfs_bytes("zstd", early));
  ASSERT_TRUE(parts);
  EXPECT_TRUE(is_mini_initramfs(*parts));
}

TEST(AlreadyConverted, DistributionInitramfsIsNot) {
  // A distribution's initramfs may well hold the early-boot program's
  // config (the original project's dracut module put it there): only the
  // builder's marker counts.
  auto parts = split_initramfs(plain_cpio({"init", "etc/initoverlayfs.conf", "usr/bin/sh"}));
  ASSERT_TRUE(parts);
  EXPECT_FALSE(is_mini_initramfs(*parts));
}

TEST(AlreadyConverted, MarkerInASecondConcatenatedArchive) {
  std::string two = plain_cpio({"a"}) + std::string(8, '\0') +
                    plain_cpio({std::string(kMiniInitramfsMarker).c_str()});
  InitramfsParts parts;
  parts.archives = {two};
  EXPECT_TRUE(is_mini_initramfs(parts));
  parts.archives = {"garbage that is no cpio"};
  EXPECT_FALSE(is_mini_initramfs(parts));
}
