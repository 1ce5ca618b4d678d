#include "builder/hostonly.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <filesystem>
#include <fstream>

using namespace iofs;
namespace fs = std::filesystem;

namespace {

using Names = std::vector<std::string>;

// A fake /sys with relative symlinks laid out like the real one.
class FakeSysfs {
 public:
  FakeSysfs() {
    char tmpl[] = "/tmp/iofs-sysfs-XXXXXX";
    root_ = mkdtemp(tmpl);
    fs::create_directories(root_ / "devices");
    fs::create_directories(root_ / "dev/block");
  }
  ~FakeSysfs() {
    std::error_code ec;
    fs::remove_all(root_, ec);
  }
  std::string root() const { return root_.string(); }

  void dir(const std::string& rel) { fs::create_directories(root_ / rel); }

  // A symlink at `link` pointing, relatively, to `target` (both relative to
  // the root).
  void link(const std::string& link, const std::string& target) {
    fs::path at = root_ / link;
    fs::create_directories(at.parent_path());
    fs::create_directories(root_ / target);
    fs::create_directory_symlink(fs::relative(root_ / target, at.parent_path()), at);
  }

  void file(const std::string& rel, const std::string& text) {
    fs::create_directories((root_ / rel).parent_path());
    std::ofstream(root_ / rel) << text;
  }

  // A driver bound to device `dev`, built as module `module` (or built in
  // when `module` is empty).
  void bind(const std::string& dev, const std::string& bus, const std::string& driver,
            const std::string& module) {
    dir(dev);
    std::string drv = "bus/" + bus + "/drivers/" + driver;
    link(dev + "/driver", drv);
    if (!module.empty()) link(drv + "/module", "module/" + module);
  }

  void block(const std::string& majmin, const std::string& dev) {
    dir(dev);
    link("dev/block/" + majmin, dev);
  }

 private:
  fs::path root_;
};

constexpr const char* kVirtioPci = "devices/pci0000:00/0000:00:04.0";
constexpr const char* kAhciPci = "devices/pci0000:00/0000:00:1f.2";

// A virtio disk vda with partition vda1 (virtio_pci built in, as on 6.12),
// and a SATA disk sda behind AHCI with partition sda2.
void add_disks(FakeSysfs& sys) {
  std::string virtio = std::string(kVirtioPci) + "/virtio1";
  sys.bind(kVirtioPci, "pci", "virtio-pci", "");
  sys.bind(virtio, "virtio", "virtio_blk", "virtio_blk");
  sys.block("254:0", virtio + "/block/vda");
  sys.block("254:1", virtio + "/block/vda/vda1");

  std::string scsi = std::string(kAhciPci) + "/ata1/host0/target0:0:0/0:0:0:0";
  sys.bind(kAhciPci, "pci", "ahci", "ahci");
  sys.bind(scsi, "scsi", "sd", "sd_mod");
  sys.block("8:0", scsi + "/block/sda");
  sys.block("8:2", scsi + "/block/sda/sda2");
}

}  // namespace

TEST(Hostonly, PartitionOfAVirtioDisk) {
  FakeSysfs sys;
  add_disks(sys);
  auto mods = modules_for_block_device(sys.root(), 254, 1);
  ASSERT_TRUE(mods) << mods.error().message();
  EXPECT_EQ(*mods, (Names{"virtio_blk"}));  // virtio-pci is built in here
  // With virtio_pci as a module (6.1-cloud) it comes after, walking up.
  sys.link(std::string("bus/pci/drivers/virtio-pci/module"), "module/virtio_pci");
  mods = modules_for_block_device(sys.root(), 254, 0);
  ASSERT_TRUE(mods) << mods.error().message();
  EXPECT_EQ(*mods, (Names{"virtio_blk", "virtio_pci"}));
}

TEST(Hostonly, SataDiskBehindAhci) {
  FakeSysfs sys;
  add_disks(sys);
  auto mods = modules_for_block_device(sys.root(), 8, 2);
  ASSERT_TRUE(mods) << mods.error().message();
  EXPECT_EQ(*mods, (Names{"sd_mod", "ahci"}));
}

TEST(Hostonly, DeviceMapperCryptFollowsSlaves) {
  FakeSysfs sys;
  add_disks(sys);
  std::string dm = "devices/virtual/block/dm-0";
  sys.block("253:0", dm);
  sys.file(dm + "/dm/uuid", "CRYPT-LUKS2-0123456789abcdef-luks\n");
  sys.link(dm + "/slaves/sda2", std::string(kAhciPci) +
                                    "/ata1/host0/target0:0:0/0:0:0:0/block/sda/sda2");
  auto mods = modules_for_block_device(sys.root(), 253, 0);
  ASSERT_TRUE(mods) << mods.error().message();
  EXPECT_EQ(*mods, (Names{"dm_mod", "dm_crypt", "sd_mod", "ahci"}));
}

TEST(Hostonly, MdRaidOverTwoDisksAndStackedDm) {
  FakeSysfs sys;
  add_disks(sys);
  std::string md = "devices/virtual/block/md0";
  sys.block("9:0", md);
  sys.file(md + "/md/level", "raid1\n");
  sys.link(md + "/slaves/vda1", std::string(kVirtioPci) + "/virtio1/block/vda/vda1");
  sys.link(md + "/slaves/sda2", std::string(kAhciPci) +
                                    "/ata1/host0/target0:0:0/0:0:0:0/block/sda/sda2");
  // An LVM volume on the array.
  std::string dm = "devices/virtual/block/dm-1";
  sys.block("253:1", dm);
  sys.file(dm + "/dm/uuid", "LVM-abcdef\n");
  sys.link(dm + "/slaves/md0", md);
  auto mods = modules_for_block_device(sys.root(), 253, 1);
  ASSERT_TRUE(mods) << mods.error().message();
  // Slaves in name order: sda2 before vda1.
  EXPECT_EQ(*mods, (Names{"dm_mod", "md_mod", "raid1", "sd_mod", "ahci", "virtio_blk"}));

  sys.file(md + "/md/level", "raid6\n");
  mods = modules_for_block_device(sys.root(), 9, 0);
  ASSERT_TRUE(mods);
  EXPECT_EQ((*mods)[1], "raid456");
}

TEST(Hostonly, SlaveLoopsTerminate) {
  FakeSysfs sys;
  std::string a = "devices/virtual/block/dm-2", b = "devices/virtual/block/dm-3";
  sys.block("253:2", a);
  sys.block("253:3", b);
  sys.dir(a + "/dm");
  sys.link(a + "/slaves/dm-3", b);
  sys.link(b + "/slaves/dm-2", a);
  auto mods = modules_for_block_device(sys.root(), 253, 2);
  ASSERT_TRUE(mods) << mods.error().message();
  EXPECT_EQ(*mods, (Names{"dm_mod"}));
}

TEST(Hostonly, UnknownDeviceIsAnError) {
  FakeSysfs sys;
  add_disks(sys);
  auto mods = modules_for_block_device(sys.root(), 8, 99);
  ASSERT_FALSE(mods);
  EXPECT_EQ(mods.error().err, ENOENT);
  EXPECT_NE(mods.error().message().find("8:99"), std::string::npos) << mods.error().message();

  // A dangling slave link is an error, not a silently missing driver.
  std::string dm = "devices/virtual/block/dm-0";
  sys.block("253:0", dm);
  sys.dir(dm + "/slaves");
  fs::create_symlink("../../nowhere", fs::path(sys.root()) / dm / "slaves/sdz1");
  mods = modules_for_block_device(sys.root(), 253, 0);
  ASSERT_FALSE(mods);
  EXPECT_NE(mods.error().message().find("slaves/sdz1"), std::string::npos)
      << mods.error().message();
}

// The two layouts a laptop's /boot is most often on, as 6.12 lays them out,
// with the links sysfs has beside the driver links (subsystem, device, bdi)
// that lead elsewhere in the tree and must not add modules: an NVMe
// partition behind a built-in PCIe port, and a USB stick's partition behind
// xHCI.
TEST(Hostonly, NvmeAndUsbDisksAsSysfsLaysThemOut) {
  FakeSysfs sys;
  const std::string port = "devices/pci0000:00/0000:00:1d.0";
  const std::string nvme_pci = port + "/0000:3d:00.0";
  sys.bind(port, "pci", "pcieport", "");
  sys.bind(nvme_pci, "pci", "nvme", "nvme");
  const std::string ctrl = nvme_pci + "/nvme/nvme0";
  sys.link(ctrl + "/device", nvme_pci);
  sys.link(ctrl + "/subsystem", "class/nvme");
  sys.block("259:0", ctrl + "/nvme0n1");
  sys.block("259:2", ctrl + "/nvme0n1/nvme0n1p2");
  sys.link(ctrl + "/nvme0n1/bdi", "devices/virtual/bdi/259:0");
  sys.link(ctrl + "/nvme0n1/subsystem", "class/block");
  sys.link(ctrl + "/nvme0n1/nvme0n1p2/subsystem", "class/block");
  sys.link("class/nvme/nvme0", ctrl);
  sys.link(nvme_pci + "/subsystem", "bus/pci");

  const std::string xhci = "devices/pci0000:00/0000:00:14.0";
  const std::string hub = xhci + "/usb2", port1 = hub + "/2-1", intf = port1 + "/2-1:1.0";
  const std::string disk = intf + "/host6/target6:0:0/6:0:0:0";
  sys.bind(xhci, "pci", "xhci_hcd", "xhci_pci");
  sys.bind(hub, "usb", "usb", "usbcore");
  sys.link(port1 + "/driver", "bus/usb/drivers/usb");  // the same driver as the hub's
  sys.bind(intf, "usb", "usb-storage", "usb_storage");
  sys.bind(disk, "scsi", "sd", "sd_mod");
  sys.block("8:16", disk + "/block/sdb");
  sys.block("8:17", disk + "/block/sdb/sdb1");
  sys.link(disk + "/block/sdb/sdb1/subsystem", "class/block");
  sys.link(disk + "/block/sdb/device", disk);

  auto mods = modules_for_block_device(sys.root(), 259, 2);
  ASSERT_TRUE(mods) << mods.error().message();
  EXPECT_EQ(*mods, (Names{"nvme"}));  // pcieport is built in, nvme0 has no driver
  mods = modules_for_block_device(sys.root(), 8, 17);
  ASSERT_TRUE(mods) << mods.error().message();
  EXPECT_EQ(*mods, (Names{"sd_mod", "usb_storage", "usbcore", "xhci_pci"}));  // once each

  // The root given through a symlink, as a caller's path may be.
  fs::path alias = fs::path(sys.root()).parent_path() / (fs::path(sys.root()).filename().string() + ".alias");
  fs::create_directory_symlink(sys.root(), alias);
  mods = modules_for_block_device(alias.string(), 8, 17);
  fs::remove(alias);
  ASSERT_TRUE(mods) << mods.error().message();
  EXPECT_EQ(*mods, (Names{"sd_mod", "usb_storage", "usbcore", "xhci_pci"}));
}
