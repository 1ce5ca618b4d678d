// check_kernel_reads: the target kernel's config refuses what it cannot
// mount, found beside an unpacked package's modules (lib/modules/KVER and
// merged-/usr usr/lib/modules/KVER) or as MODDIR/config.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "builder/image.h"

using namespace iofs;

namespace {

std::string temp_dir() {
  std::string t = "/tmp/iofs-unit-XXXXXX";
  EXPECT_NE(::mkdtemp(t.data()), nullptr);
  return t;
}

void write(const std::string& path, const std::string& text) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path) << text;
}

}  // namespace

TEST(KernelConfig, DaxPlacementsNeedFsDax) {
  const std::string root = temp_dir();
  // Debian 13 unpacked: ROOT/usr/lib/modules/KVER and ROOT/boot/config-KVER.
  const std::string kver = "6.12.118+deb13-arm64", moddir = root + "/usr/lib/modules/" + kver;
  std::filesystem::create_directories(moddir);
  const std::string config = root + "/boot/config-" + kver;
  write(config, "CONFIG_EROFS_FS=m\nCONFIG_EROFS_FS_ZIP=y\nCONFIG_FS_DAX=y\n");
  ImageFormat pmem{.compression = "none", .dax = true};
  auto found = check_kernel_reads(moddir, kver, pmem);
  ASSERT_TRUE(found) << found.error().message();
  EXPECT_EQ(std::filesystem::weakly_canonical(*found), std::filesystem::path(config));
  // Debian 12's arm64 6.1: no FS_DAX.
  write(config, "CONFIG_EROFS_FS=m\nCONFIG_EROFS_FS_ZIP=y\n# CONFIG_FS_DAX is not set\n");
  auto refused = check_kernel_reads(moddir, kver, pmem);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message().find("kernel " + kver + " cannot mount with DAX "
                                           "(CONFIG_FS_DAX is not set in "),
            std::string::npos)
      << refused.error().message();
  // Without DAX (bootfs, or pmem read through dm-verity) the same kernel is fine.
  EXPECT_TRUE(check_kernel_reads(moddir, kver, ImageFormat{}));
  std::system(("rm -rf " + root).c_str());
}
