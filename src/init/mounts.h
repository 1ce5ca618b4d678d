// The mounts the early-boot program makes, in the order it makes them.
#pragma once

#include <sys/stat.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>

#include "core/config.h"
#include "core/error.h"
#include "core/unique_fd.h"

namespace iofs {

// Where things are mounted inside the mini initramfs. The staging mounts
// live under /run so that they travel with /run into the new root and stay
// visible there (as dracut's /run/initramfs does).
namespace paths {
inline const std::string kStage = "/run/initoverlayfs";
inline const std::string kBoot = "/run/initoverlayfs/boot";
inline const std::string kLower = "/run/initoverlayfs/lower";
inline const std::string kUpperFs = "/run/initoverlayfs/upper";
inline const std::string kNewRoot = "/sysroot";
}  // namespace paths

// /proc, /sys, /dev (devtmpfs) and /run (tmpfs).
Result<void> mount_api_filesystems();

// Mounts the boot device at paths::kBoot with cfg.bootfs_options.
Result<void> mount_boot_filesystem(const std::string& devnode,
                                   const std::string& fstype,
                                   const std::string& options);

enum class ImageAttach { file_backed, loop, block_device, verity };

struct AttachedImage {
  ImageAttach how;
  std::string loop_device;    // set when how == loop, or verity over a file
  std::string verity_device;  // set when how == verity: /dev/dm-N
  // verity: the kernel refused the deferred removal of the device, so it
  // stays after the initrd (the boot still goes on).
  std::optional<Error> deferred_removal_refused;

  std::string describe() const;  // "file-backed", "loop device /dev/loop0", ...
};

// Mounts the image file read-only at paths::kLower: directly (file-backed
// EROFS, Linux >= 6.12), or through a loop device when the kernel answers
// ENOTBLK; `need_loop` is called first then, to load the loop driver if it
// is a module. Errors name the image as `shown_as` (its path as the user
// knows it).
Result<AttachedImage> mount_lower_image(const std::string& image,
                                        const std::string& shown_as,
                                        const std::string& fstype,
                                        const std::string& fs_options,
                                        const std::function<void()>& need_loop = {});

// A free loop device configured read-only over the image file in one
// LOOP_CONFIGURE call, with autoclear: it detaches when its last user goes
// away, so keep the returned fd open until something else (a mount, a
// device-mapper table) holds the device.
Result<std::pair<std::string, UniqueFd>> attach_loop(const std::string& image);

// The length of an image open as `fd`: a regular file's size, or a block
// device's (BLKGETSIZE64). Errors name it as `shown_as`.
Result<uint64_t> image_bytes(int fd, const struct stat& st, const std::string& shown_as);

// Mount data for a read-only lower layer of this type: writable
// filesystems must not replay a journal or log into the image ("noload"
// for ext4, "rescue=nologreplay" for btrfs), followed by `extra` (the
// config's fs_options, e.g. dax=always).
std::string lower_mount_data(const std::string& fstype, const std::string& extra = {});

// Mount options as mount(8) takes them, split into flags and data.
struct MountOptions {
  unsigned long flags = 0;
  std::string data;
};
MountOptions parse_mount_options(const std::string& options);

}  // namespace iofs
