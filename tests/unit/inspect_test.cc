// initoverlayfs-install --inspect: reading a mini initramfs (made here with
// CpioWriter, as the builder lays it out, and garbled), and checking an
// image against its configuration on the saved EROFS superblock sample
// (erofs_superblock_test.cc says how it was made: 24576 bytes, UUID
// 2f1c8e4a-6b3d-4e5f-9a7b-0c1d2e3f4a5b).
#include "builder/inspect.h"

#include <gtest/gtest.h>

#include <fstream>

#include "builder/cpio.h"
#include "builder/mini_initramfs.h"
#include "core/strings.h"
#include "core/sys.h"
#include "samples.h"

using namespace iofs;

namespace {

constexpr const char* kSampleUuid = "2f1c8e4a-6b3d-4e5f-9a7b-0c1d2e3f4a5b";

// An ELF executable's headers (this test's own), with the version tag.
std::string program_with_version(std::string_view version) {
  std::string exe(8192, '\0');
  std::ifstream("/proc/self/exe", std::ios::binary).read(exe.data(), exe.size());
  return exe + std::string(kEarlyBootVersionTag) + std::string(version) + '\0' + "more";
}

struct MiniParts {
  bool marker = true;
  std::string config = str("placement bootfs\nbootfs LABEL=boot\nfs /initoverlayfs-6.12-2f1c8e4a.img\nfs_uuid ",
                           kSampleUuid, "\n");
  std::string plan = read_sample("plan.good");
  bool systemd = false;
  std::vector<std::pair<std::string, std::string>> more;
};

std::string mini(const MiniParts& p) {
  std::string out;
  CpioWriter w(out);
  auto file = [&](std::string name, std::string data) {
    w.add(CpioEntry{.name = std::move(name), .mode = S_IFREG | 0644, .data = std::move(data)});
  };
  if (p.marker) file(std::string(kMiniInitramfsMarker), "initoverlayfs-install 9.8.7\n");
  if (!p.config.empty()) file("etc/initoverlayfs.conf", p.config);
  if (!p.plan.empty()) file("etc/initoverlayfs.modules", p.plan);
  if (p.systemd) {
    file("./usr/lib/systemd/system/pre-initoverlayfs.service", "[Unit]\n");
    file("./usr/sbin/initoverlayfs", program_with_version("9.8.7"));
    file("./init", "not the program: systemd's link");
  } else {
    file("init", program_with_version("9.8.7"));
  }
  for (const auto& [name, data] : p.more) file(name, data);
  w.finish();
  return out;
}

Config config_for(std::string_view text) {
  Config c;
  std::vector<std::string> warnings;
  parse_config(text, c, warnings);
  EXPECT_TRUE(warnings.empty());
  return c;
}

}  // namespace

TEST(Inspect, ReadsWhatTheMiniInitramfsHolds) {
  auto in = inspect_mini_initramfs(mini(MiniParts{}));
  ASSERT_TRUE(in) << in.error().message();
  EXPECT_TRUE(in->is_mini);
  EXPECT_EQ(in->made_by, "initoverlayfs-install 9.8.7");
  EXPECT_FALSE(in->systemd_mode);
  EXPECT_EQ(in->program, "/init");
  EXPECT_EQ(in->program_version, "9.8.7");
  EXPECT_FALSE(in->program_machine.empty());
  EXPECT_FALSE(in->program_static);  // the test binary is dynamically linked
  ASSERT_TRUE(in->has_config);
  EXPECT_EQ(in->config.fs, "initoverlayfs-6.12-2f1c8e4a.img");
  EXPECT_EQ(in->config.fs_uuid, kSampleUuid);
  EXPECT_TRUE(in->has_plan);
  EXPECT_TRUE(in->plan_problem.empty()) << in->plan_problem;
  EXPECT_FALSE(in->plan.empty());
  EXPECT_FALSE(in->has_appended_image);
}

TEST(Inspect, SystemdModeProgramIsTheService) {
  MiniParts p;
  p.systemd = true;
  auto in = inspect_mini_initramfs(mini(p));
  ASSERT_TRUE(in) << in.error().message();
  EXPECT_TRUE(in->systemd_mode);
  EXPECT_EQ(in->program, "/usr/sbin/initoverlayfs");
  EXPECT_EQ(in->program_version, "9.8.7");
}

TEST(Inspect, PlacementInitrdFindsTheImageInside) {
  MiniParts p;
  p.config = "placement initrd\nfs /initoverlayfs-6.12.img\n";
  p.more = {{"initoverlayfs-6.12.img", read_sample("erofs-1.5.superblock")}};
  auto in = inspect_mini_initramfs(mini(p));
  ASSERT_TRUE(in);
  EXPECT_TRUE(in->has_appended_image);
  EXPECT_EQ(in->appended_image.size(), 4096u);
}

TEST(Inspect, ClassicInitramfsIsNotMini) {
  MiniParts p;
  p.marker = false;
  auto in = inspect_mini_initramfs(mini(p));
  ASSERT_TRUE(in);
  EXPECT_FALSE(in->is_mini);
}

TEST(Inspect, GarbledInputs) {
  EXPECT_FALSE(inspect_mini_initramfs(""));
  EXPECT_FALSE(inspect_mini_initramfs(std::string(4096, 'x')));
  // Cut in the middle of an entry: the entries before it still count, as
  // the kernel unpacks them.
  std::string whole = mini(MiniParts{});
  for (size_t cut : {size_t{7}, whole.size() / 2, whole.size() - 1}) {
    SCOPED_TRACE(cut);
    auto in = inspect_mini_initramfs(std::string_view(whole).substr(0, cut));
    if (in) {
      EXPECT_LE(in->files, 5u);
    }
  }
  // A load plan that does not parse is reported, not fatal.
  MiniParts p;
  p.plan = read_sample("plan.garbled");
  auto in = inspect_mini_initramfs(mini(p));
  ASSERT_TRUE(in);
  EXPECT_FALSE(in->plan_problem.empty());
  // No program: nothing found, no crash.
  std::string bytes;
  CpioWriter w(bytes);
  w.add(CpioEntry{.name = std::string(kMiniInitramfsMarker), .mode = S_IFREG | 0644, .data = "x\n"});
  w.finish();
  auto bare = inspect_mini_initramfs(bytes);
  ASSERT_TRUE(bare);
  EXPECT_TRUE(bare->is_mini);
  EXPECT_FALSE(bare->has_config);
  EXPECT_TRUE(bare->program_machine.empty());
}

TEST(Inspect, ImageMatches) {
  Config c = config_for(str("fs /x.img\nfs_uuid ", kSampleUuid, "\n"));
  ImageVerdict v = check_image(c, read_sample("erofs-1.5.superblock"), 24576);
  EXPECT_TRUE(v.ok) << v.problem;
  EXPECT_TRUE(v.problem.empty());
}

TEST(Inspect, AnotherImageIsAMismatch) {
  Config c = config_for("fs /x.img\nfs_uuid 00000000-1111-2222-3333-444444444444\n");
  ImageVerdict v = check_image(c, read_sample("erofs-1.5.superblock"), 24576);
  EXPECT_FALSE(v.ok);
  EXPECT_NE(v.problem.find("its EROFS UUID is 2f1c8e4a-6b3d-4e5f-9a7b-0c1d2e3f4a5b, the mini initramfs "
                           "expects 00000000-1111-2222-3333-444444444444"),
            std::string::npos)
      << v.problem;
}

TEST(Inspect, TruncatedImage) {
  Config c = config_for(str("fs /x.img\nfs_uuid ", kSampleUuid, "\n"));
  ImageVerdict v = check_image(c, read_sample("erofs-1.5.superblock"), 8192);
  EXPECT_FALSE(v.ok);
  EXPECT_NE(v.problem.find("cut short: 8192 bytes of EROFS data, its superblock says 24576"), std::string::npos)
      << v.problem;
}

TEST(Inspect, NotErofs) {
  Config c = config_for("fs /x.img\n");
  ImageVerdict v = check_image(c, std::string(4096, '\0'), 4096);
  EXPECT_FALSE(v.ok);
  EXPECT_NE(v.problem.find("not an EROFS image"), std::string::npos) << v.problem;
  // Another lower filesystem is only sized.
  Config sq = config_for("fs /x.img\nfstype squashfs\n");
  EXPECT_TRUE(check_image(sq, std::string(100, '\0'), 100).ok);
}

TEST(Inspect, VerityNeedsTheHashTree) {
  Config c = config_for(str("fs /x.img\nfs_uuid ", kSampleUuid, "\n"));
  c.verity.enabled = true;
  c.verity.hash_offset = 24576;
  EXPECT_NE(check_image(c, read_sample("erofs-1.5.superblock"), 24576).problem.find("has no hash tree"),
            std::string::npos);
  EXPECT_TRUE(check_image(c, read_sample("erofs-1.5.superblock"), 32768).ok);
  c.verity.hash_offset = 8192;  // the data would run into the tree
  EXPECT_NE(check_image(c, read_sample("erofs-1.5.superblock"), 32768).problem.find("cut short"),
            std::string::npos);
}

// Found laying out systemd-boot's entries for issue 14: kernel-install's
// copy of the mini initramfs lies in /boot/ENTRY-TOKEN/KVER/, not beside
// its image, where --inspect looked for it (and so would have called it
// missing); with the boot filesystem mounted, the image is looked for
// where the early-boot program reads it.
TEST(Inspect, BootfsImageOnTheMountedBootFilesystem) {
  const std::string mi =
      "22 1 254:3 / / rw,relatime shared:1 - ext4 /dev/vda3 rw\n"
      "30 22 254:2 /sub /mnt rw shared:5 - vfat /dev/vda2 rw\n"
      "31 22 254:2 / /boot rw,relatime shared:6 - vfat /dev/vda2 rw,fmask=0077\n";
  EXPECT_EQ(bootfs_image_path("/boot/0123/6.12/initrd.img-6.12", "/iofs-6.12.img", "/dev/vda2", mi),
            "/boot/iofs-6.12.img");
  EXPECT_EQ(bootfs_image_path("/boot/0123/6.12/initrd.img-6.12", "iofs-6.12.img", "/dev/vda2", mi),
            "/boot/iofs-6.12.img");
  // Mounted at / (the boot filesystem is the root being inspected).
  EXPECT_EQ(bootfs_image_path("/x/initrd", "/d/iofs.img", "/dev/vda3", mi), "/d/iofs.img");
  // Not mounted, or no device: beside the file.
  EXPECT_EQ(bootfs_image_path("/out/initrd.img", "/boot/iofs.img", "/dev/vdb", mi), "/out/iofs.img");
  EXPECT_EQ(bootfs_image_path("/out/initrd.img", "/iofs.img", "", mi), "/out/iofs.img");
  EXPECT_EQ(bootfs_image_path("initrd.img", "/iofs.img", "/dev/vda2", ""), "./iofs.img");
}
