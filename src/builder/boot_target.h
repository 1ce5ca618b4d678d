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
  // The placement the build follows: the one asked for, or initrd where
  // the default (bootfs) cannot work and no placement was asked for.
  Placement placement = Placement::bootfs;
  std::string placement_reason;  // why it is not the default, for the summary
  BootfsChoice bootfs;     // the config's bootfs, bootfs_hint and bootfstype
  std::string image_uuid;  // pmem placements: the UUID the image is made with
};

// A boot filesystem the mini initramfs cannot read the image from (the
// root filesystem, md RAID, LVM: BootfsReach) makes the default placement
// initrd, the image inside the mini initramfs, which needs no device at
// all; with --placement bootfs given, it is an error. With --write-partition, also checks that the partition may be written
// (check_partition), before anything is built.
Result<BootTarget> choose_boot_target(const BuilderOptions& o);

// o with placement p: the options the rest of the build follows.
BuilderOptions with_placement(const BuilderOptions& o, Placement p);

// The image's path relative to the boot filesystem's root (the config's fs).
std::string image_path_on_bootfs(const BootfsChoice& bootfs, const std::string& image_name);

}  // namespace iofs
