// Where the image lives, and everything that follows from it, for the
// builder (--placement) and the early-boot program (the config's
// "placement" key) alike.
//
// The early-boot program knows three placements: a file on the boot
// filesystem, a block device that is the image, a file in the initramfs.
// The two pmem placements are block devices the kernel makes from memory,
// so their config says "placement partition" (and "fs_options dax=always").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace iofs {

enum class Placement { bootfs, partition, initrd, pmem, virtio_pmem };

// How the early-boot program reaches the image, and what the config's
// bootfs key names.
enum class ImageDevice {
  boot_filesystem,  // a file on the boot filesystem, mounted first
  named_partition,  // the partition --bootfs names is the image
  image_uuid,       // a pmem device, found by the UUID the builder gives the image
  none,             // a file in the initramfs: no device at all
};

// --bootfs with this placement.
enum class BootfsOption {
  optional,  // the default comes from the mount table
  required,  // it names the partition
  refused,   // the image's own UUID names the device
  unused,    // accepted, and of no use: there is no device
};

// The storage drivers the mini initramfs carries (without --hostonly).
enum class ModulePolicy {
  storage_on_demand,  // the generic storage drivers, each loaded when its device appears
  nvdimm_on_demand,   // the nvdimm drivers, loaded the same way
  none,               // no device: only what mounts the image
};

struct PlacementInfo {
  Placement placement;
  std::string_view name;     // --placement NAME, "placement NAME" in the config
  Placement in_config;       // what the early-boot program's config says
  ImageDevice device;
  BootfsOption bootfs_option;
  ModulePolicy modules;
  bool image_file_named;     // the config's fs key names the image file
  bool needs_loop;           // the image may be mounted through a loop device
  bool dax;                  // mounted with DAX: uncompressed EROFS
  bool appended;             // the image is appended to the mini initramfs
  uint64_t size_alignment;   // the image file is padded to a multiple of this (0: none)
  bool hostonly_allowed;     // --hostonly (it looks at the boot filesystem)
  bool write_partition_allowed;
  // The summary's line for it: {image} the image file, {device} what the
  // config's bootfs says, {fs} the image's path on the boot filesystem,
  // {region_mib} the image rounded up to 128 MiB, in MiB, {size} its size
  // in bytes, {copy} what --write-partition did or would do.
  std::string_view summary;
};

const PlacementInfo& placement_info(Placement p);

// Any of the five names.
std::optional<Placement> parse_placement(std::string_view name);
// One the early-boot program knows (bootfs, partition, initrd).
std::optional<Placement> parse_config_placement(std::string_view name);
std::string_view to_string(Placement p);

// For messages: "bootfs, partition, initrd, pmem or virtio-pmem", and the
// ones the early-boot program knows, "bootfs, partition or initrd".
std::string placement_names();
std::string config_placement_names();

}  // namespace iofs
