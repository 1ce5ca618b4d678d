#include "core/placement.h"

#include <iterator>

namespace iofs {
namespace {

using enum Placement;
constexpr uint64_t kMiB = uint64_t{1} << 20;

constexpr std::string_view kPmemSummary =
    "  bootloader      load {image} at a physical address ADDR kept for it and boot with\n"
    "                  memmap={region_mib}M!ADDR (x86; the region is rounded up to the 128 MiB\n"
    "                  nd_pmem needs). QEMU: -device loader,file=IMAGE,addr=0x40000000,\n"
    "                  force-raw=on and memmap={region_mib}M!0x40000000. Device tree\n"
    "                  (arm64): a node compatible = \"pmem-region\" with reg = <ADDR SIZE>\n"
    "                  at the root, outside the /memory ranges (not in /reserved-memory).\n"
    "                  Found at boot as {device}.\n";
constexpr std::string_view kVirtioPmemSummary =
    "  VM              -object memory-backend-file,id=iofs,mem-path={image},size={size},\n"
    "                  readonly=on -device virtio-pmem-pci,memdev=iofs and -m with\n"
    "                  slots=1 or more and maxmem covering it. Found at boot as {device}.\n";

// One row per placement, in the order of the enum (and of --help).
constexpr PlacementInfo kPlacements[] = {
    {.placement = bootfs, .name = "bootfs", .in_config = bootfs,
     .device = ImageDevice::boot_filesystem, .bootfs_option = BootfsOption::optional,
     .modules = ModulePolicy::storage_on_demand, .image_file_named = true, .needs_loop = true,
     .dax = false, .appended = false, .size_alignment = 0, .hostonly_allowed = true,
     .write_partition_allowed = false,
     .summary = "  boot filesystem {device}, image at /{fs} on it\n"},
    // No boot filesystem to mount, so no driver for one, nor loop: the
    // image is a block device already.
    {.placement = partition, .name = "partition", .in_config = partition,
     .device = ImageDevice::named_partition, .bootfs_option = BootfsOption::required,
     .modules = ModulePolicy::storage_on_demand, .image_file_named = false, .needs_loop = false,
     .dax = false, .appended = false, .size_alignment = 0, .hostonly_allowed = false,
     .write_partition_allowed = true,
     .summary = "  partition       {device}: {copy}\n"},
    // No disk: the image is a file in the initramfs, behind a loop device.
    // In systemd mode it is appended after dracut's archive the same way.
    {.placement = initrd, .name = "initrd", .in_config = initrd,
     .device = ImageDevice::none, .bootfs_option = BootfsOption::unused,
     .modules = ModulePolicy::none, .image_file_named = true, .needs_loop = true,
     .dax = false, .appended = true, .size_alignment = 0, .hostonly_allowed = false,
     .write_partition_allowed = false, .summary = ""},
    // The pmem placements are partitions to the early-boot program: a block
    // device that is the image, here one the kernel makes from memory, found
    // by the image's own UUID (libblkid reads the EROFS superblock, so what
    // is mounted is checked to be this image). The config names the image
    // file too, for people only.
    {.placement = pmem, .name = "pmem", .in_config = partition,
     .device = ImageDevice::image_uuid, .bootfs_option = BootfsOption::refused,
     .modules = ModulePolicy::nvdimm_on_demand, .image_file_named = true, .needs_loop = false,
     .dax = true, .appended = false, .size_alignment = 0, .hostonly_allowed = false,
     .write_partition_allowed = false, .summary = kPmemSummary},
    // QEMU maps the file as guest memory: its size must be a multiple of the
    // 2 MiB the memory device is aligned to. Zeros past the end of an EROFS
    // image are never read.
    {.placement = virtio_pmem, .name = "virtio-pmem", .in_config = partition,
     .device = ImageDevice::image_uuid, .bootfs_option = BootfsOption::refused,
     .modules = ModulePolicy::nvdimm_on_demand, .image_file_named = true, .needs_loop = false,
     .dax = true, .appended = false, .size_alignment = 2 * kMiB, .hostonly_allowed = false,
     .write_partition_allowed = false,
     .summary = kVirtioPmemSummary},
};

static_assert(std::size(kPlacements) == 5);

constexpr bool rows_in_enum_order() {
  for (size_t i = 0; i < std::size(kPlacements); ++i)
    if (static_cast<size_t>(kPlacements[i].placement) != i) return false;
  return true;
}
static_assert(rows_in_enum_order(), "placement_info indexes kPlacements by the enum");

bool known_to_config(const PlacementInfo& p) { return p.in_config == p.placement; }

std::string names_of(bool (*include)(const PlacementInfo&)) {
  std::string out;
  size_t count = 0, total = 0;
  for (const PlacementInfo& p : kPlacements) total += include(p);
  for (const PlacementInfo& p : kPlacements) {
    if (!include(p)) continue;
    if (count++) out += count == total ? " or " : ", ";
    out += p.name;
  }
  return out;
}

}  // namespace

const PlacementInfo& placement_info(Placement p) {
  return kPlacements[static_cast<size_t>(p)];
}

std::optional<Placement> parse_placement(std::string_view name) {
  for (const PlacementInfo& p : kPlacements)
    if (p.name == name) return p.placement;
  return std::nullopt;
}

std::optional<Placement> parse_config_placement(std::string_view name) {
  auto p = parse_placement(name);
  if (p && known_to_config(placement_info(*p))) return p;
  return std::nullopt;
}

std::string_view to_string(Placement p) { return placement_info(p).name; }

std::string placement_names() {
  return names_of([](const PlacementInfo&) { return true; });
}

std::string config_placement_names() { return names_of(known_to_config); }

}  // namespace iofs
