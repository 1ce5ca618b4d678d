// Working out which filesystem the image will be read from at boot, and
// where on it the image lies.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace iofs {

// One line of /proc/self/mountinfo (see proc(5)).
struct MountEntry {
  std::string root;        // the mount's root within its filesystem
  std::string mountpoint;  // where it is mounted
  std::string fstype;
  std::string source;      // e.g. /dev/vda1
};
std::vector<MountEntry> parse_mountinfo(std::string_view text);

// The mount holding `path` (an absolute, symlink-free path): the last
// mounted among those whose mount point is the longest prefix of it.
const MountEntry* mount_containing(const std::vector<MountEntry>& mounts,
                                   const std::string& path);

// One line of fstab(5); comments and blank lines are skipped.
struct FstabEntry {
  std::string spec, mountpoint, fstype, options;
};
std::vector<FstabEntry> parse_fstab(std::string_view text);

// Joins a directory inside a mount with the mount's own root and returns
// the directory as seen from the filesystem's root: for a mount of
// filesystem root "/" at /boot, /boot/efi/x -> /efi/x.
std::string path_on_filesystem(const MountEntry& m, const std::string& path);

// A libblkid tag (UUID, LABEL, TYPE, PART_ENTRY_NAME...) of a device, "" if none.
std::string blkid_tag(const std::string& dev, const std::string& tag);

// The fstab entry whose mount point holds `path` (absolute, symlink-free)
// most closely, or nullptr.
const FstabEntry* fstab_entry_holding(const std::vector<FstabEntry>& fstab,
                                      const std::string& path);

// What stacks a block device on others, as the mini initramfs would have
// to assemble it: "md RAID", "LVM", "dm-crypt", "device-mapper", or "" for
// a disk or a partition. From /sys/class/block/NAME/{md,dm/uuid}, looking
// at the whole device for a partition.
std::string stacking_of(const std::string& devnode,
                        const std::string& class_block = "/sys/class/block");
// The same from what sysfs says: whether the device is an md array, and
// its device-mapper UUID ("" when it is no dm device).
std::string stacking_kind(bool md, bool dm, std::string_view dm_uuid);

// Whether the mini initramfs can read the image from the boot filesystem
// at all: it mounts it read-only before anything else, and lets it go
// before the real system needs it.
enum class BootfsReach {
  mountable,        // a plain partition of its own (or not known: a disk image being made)
  root_filesystem,  // /boot is a directory of the root filesystem
  stacked,          // on md RAID, LVM, dm-crypt: nothing assembles it that early
};

struct BootfsChoice {
  BootfsReach reach = BootfsReach::mountable;
  std::string reach_detail;  // why it is not mountable, for the messages
  std::string spec;      // for bootfs
  std::string hint;      // for bootfs_hint, may be empty
  std::string fstype;    // may be empty: unknown
  std::string dir;       // the output directory on the boot filesystem, "/..."
  std::string reason;    // how it was decided, for -v and the summary
};

// Decides the boot filesystem for images written to output_dir. `bootfs`
// and `bootfs_path` are the user's (may be empty). Reads the mount table,
// /etc/fstab and, through libblkid, the devices' tags.
Result<BootfsChoice> choose_bootfs(const std::string& output_dir, const std::string& bootfs,
                                   const std::string& bootfstype,
                                   const std::string& bootfs_path);

}  // namespace iofs
