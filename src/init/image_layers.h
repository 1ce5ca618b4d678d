// Steps 5-8 of both modes (init as PID 1, and the systemd service): the
// image as the lower layer from wherever it is placed, the new root over
// it, and the staging mounts let go.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/error.h"
#include "init/mounts.h"
#include "init/root_layout.h"

namespace iofs {

struct BootDevice {
  std::string devnode;  // empty with placement initrd
  std::string fstype;   // what was detected on it, if anything
};

struct MountedLayers {
  std::string shown;  // the image as the user knows it: /boot/NAME.img, /dev/vda2, ...
  AttachedImage image;
  NewRoot root;
  std::vector<Error> staging_left;  // staging mounts that could not be detached
};

// Mounts the image (through dm-verity when cfg.verity.enabled) for
// cfg.placement, then the new root as cfg.root_layout says, then detaches
// the staging mounts. need_loop loads the loop driver when a loop device
// is needed and the kernel has none yet.
Result<MountedLayers> mount_layers(const Config& cfg, const BootDevice& dev,
                                   const std::function<void()>& need_loop = {});

// "erofs, file-backed" / "ext4, loop device /dev/loop0, options noload".
std::string describe_image(const Config& cfg, const AttachedImage& image);

}  // namespace iofs
