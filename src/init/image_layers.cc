#include "init/image_layers.h"

#include <sys/mount.h>

#include "core/strings.h"
#include "core/sys.h"
#include "init/dm_verity.h"

namespace iofs {
namespace {

// A file image: dm-verity over a loop device when verity is required,
// else file-backed or through a loop device (mount_lower_image).
Result<AttachedImage> mount_image_file(const Config& cfg, const std::string& path,
                                       const std::string& shown,
                                       const std::function<void()>& need_loop) {
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
