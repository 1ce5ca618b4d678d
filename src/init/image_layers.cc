#include "init/image_layers.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/erofs_superblock.h"
#include "core/strings.h"
#include "core/sys.h"
#include "init/dm_verity.h"

namespace iofs {
namespace {

// An EROFS image is checked before it is mounted, while a failure still
// leaves nothing to undo. The kernel reads little at mount time: an image
// cut short (a power cut while a kernel update copied it) mounts, and its
// reads fail with EUCLEAN only after the switch, where PID 1 can no longer
// fall back. And an image the mini initramfs was not built with (an old
// mini initramfs beside a new image) is refused by its UUID.
Result<void> check_erofs_image(const Config& cfg, const std::string& image,
                               const std::string& shown) {
  if (cfg.fstype != "erofs") return {};
  auto opened = sys::open(image, O_RDONLY);
  if (!opened) return fail("find image", shown, opened.error().err);
  const int fd = opened->get();
  struct stat st;
  if (::fstat(fd, &st) != 0) return sys_error("find image", shown);
  if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
    return fail("find image", str(shown, ": neither a file nor a block device"));
  const uint64_t have = TRY(image_bytes(fd, st, shown));
  std::string head(kErofsSuperblockEnd, '\0');
  ssize_t n = ::pread(fd, head.data(), head.size(), 0);
  if (n < 0) return sys_error("read superblock of image", shown);
  head.resize(static_cast<size_t>(n));
  auto sb = parse_erofs_superblock(head);
  if (!sb) return fail("check image", str(shown, ": ", sb.error().op, ": ", sb.error().detail));
  if (!cfg.fs_uuid.empty() && sb->uuid_string() != cfg.fs_uuid)
    return fail("check image",
                str(shown, " is not the one this mini initramfs was built with (UUID ",
                    sb->uuid_string(), ", expected ", cfg.fs_uuid, ")"));
  if (sb->bytes() > have)
    return fail("check image",
                str(shown, " is cut short: its superblock says ", sb->bytes(), " bytes, it has ",
                    have, " (half written?)"));
  // With dm-verity the filesystem must lie within the data the hash tree
  // covers; the length of data and tree is checked when the table is made.
  if (const VerityConfig& v = cfg.verity;
      v.enabled && v.data_blocks <= UINT64_MAX / v.data_block_size &&
      sb->bytes() > v.data_blocks * v.data_block_size)
    return fail("check image",
                str(shown, ": its superblock says ", sb->bytes(), " bytes, more than the ",
                    v.data_blocks * v.data_block_size, " bytes of data dm-verity checks"));
  return {};
}

// A file image: dm-verity over a loop device when verity is required,
// else file-backed or through a loop device (mount_lower_image).
Result<AttachedImage> mount_image_file(const Config& cfg, const std::string& path,
                                       const std::string& shown,
                                       const std::function<void()>& need_loop) {
  TRY(check_erofs_image(cfg, path, shown));
  if (cfg.verity.enabled) return mount_verified_image(path, shown, cfg, need_loop);
  return mount_lower_image(path, shown, cfg.fstype, cfg.fs_options, need_loop);
}

Result<std::pair<AttachedImage, std::string>> mount_image(const Config& cfg,
                                                          const BootDevice& dev,
                                                          const std::function<void()>& need_loop) {
  switch (placement_info(cfg.placement).device) {
    case ImageDevice::boot_filesystem: {
      std::string type = cfg.bootfstype.empty() ? dev.fstype : cfg.bootfstype;
      TRY(mount_boot_filesystem(dev.devnode, type, cfg.bootfs_options));
      std::string shown = "/boot/" + cfg.fs;
      return std::pair{TRY(mount_image_file(cfg, paths::kBoot + "/" + cfg.fs, shown, need_loop)),
                       shown};
    }
    case ImageDevice::named_partition:
    case ImageDevice::image_uuid: {
      // The device is the image: no boot filesystem, no driver for one.
      TRY(check_erofs_image(cfg, dev.devnode, dev.devnode));
      if (cfg.verity.enabled)
        return std::pair{TRY(mount_verified_image(dev.devnode, dev.devnode, cfg)), dev.devnode};
      TRY(sys::make_dirs(paths::kLower));
      auto r = sys::mount(dev.devnode, paths::kLower, cfg.fstype, MS_RDONLY,
                          lower_mount_data(cfg.fstype, cfg.fs_options));
      if (!r) return fail("mount image", str(dev.devnode, " (", cfg.fstype, ")"), r.error().err);
      return std::pair{AttachedImage{ImageAttach::block_device, {}}, dev.devnode};
    }
    case ImageDevice::none: {
      // A file in the initramfs (tmpfs or ramfs): the kernel answers
      // ENOTBLK to a file-backed mount there, so it goes through a loop
      // device, which keeps the file alive after the old root is freed.
      std::string path = "/" + cfg.fs;
      std::string shown = "initramfs:" + path;
      return std::pair{TRY(mount_image_file(cfg, path, shown, need_loop)), shown};
    }
  }
  return fail("placement", "unknown");
}

}  // namespace

Result<MountedLayers> mount_layers(const Config& cfg, const BootDevice& dev,
                                   const std::function<void()>& need_loop) {
  auto [image, shown] = TRY(mount_image(cfg, dev, need_loop));
  NewRoot root = TRY(mount_new_root(cfg.root_layout, cfg.tmpfs_size));
  std::vector<Error> left = detach_staging_mounts();
  return MountedLayers{std::move(shown), std::move(image), std::move(root), std::move(left)};
}

std::string describe_image(const Config& cfg, const AttachedImage& image) {
  std::string data = lower_mount_data(cfg.fstype, cfg.fs_options);
  return str(cfg.fstype, ", ", image.describe(), data.empty() ? "" : ", options ", data);
}

}  // namespace iofs
