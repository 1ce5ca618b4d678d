// Pass 2: what the mini initramfs's config says the image is found on at
// boot, as the placement's table row (core/placement.h) has it: the boot
// filesystem, the partition --bootfs names, a pmem device found by the
// UUID the image is given, or nothing (the image is in the initramfs).
#pragma once

#include <string>

#include "builder/bootfs.h"
#include "builder/options.h"
#include "core/error.h"

namespace iofs {

struct BootTarget {
  BootfsChoice bootfs;     // the config's bootfs, bootfs_hint and bootfstype
  std::string image_uuid;  // pmem placements: the UUID the image is made with
};

// With --write-partition, also checks that the partition may be written
// (check_partition), before anything is built.
Result<BootTarget> choose_boot_target(const BuilderOptions& o);

// The image's path relative to the boot filesystem's root (the config's fs).
std::string image_path_on_bootfs(const BootfsChoice& bootfs, const std::string& image_name);

}  // namespace iofs
