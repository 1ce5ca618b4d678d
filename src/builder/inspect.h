// initoverlayfs-install --inspect [FILE]: what an installed mini initramfs
// holds, and whether the image it expects is there and is the one it was
// built with. The first thing to run when a pair looks wrong, as dracut's
// lsinitrd is for an initramfs.
//
// The report names the builder and early-boot program versions, the boot
// mode, the configuration the early-boot program reads, its module load
// plan, and then the image: on the boot filesystem if it is mounted, else
// beside FILE (placement bootfs: the builder writes the two into one
// directory), inside FILE (placement initrd), or
// the partition the configuration names (placement partition). The image
// matches when it is present, its EROFS superblock's UUID is the one the
// configuration requires, it is as long as its superblock says, and, with
// verity, its hash tree gives the configured root hash (veritysetup verify
// reads every block).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/config.h"
#include "core/error.h"
#include "core/load_plan.h"
#include "core/version.h"

namespace iofs {

// The early-boot program carries this, followed by its version and a NUL,
// so that its version can be read from the file without running it (it may
// be for another machine).
inline constexpr std::string_view kEarlyBootVersionTag = IOFS_EARLY_BOOT_VERSION_TAG;

struct MiniInspection {
  bool is_mini = false;      // holds etc/initoverlayfs-install.made
  std::string made_by;       // that file's first line ("initoverlayfs-install 0.1.0")
  std::string compression;   // of the first compressed stream
  size_t early_bytes = 0;    // uncompressed archives in front (microcode)
  uint64_t unpacked_bytes = 0;
  size_t files = 0;          // entries in all archives
  bool systemd_mode = false;  // made by dracut for --mode systemd
  std::string config_text;   // etc/initoverlayfs.conf; empty: missing
  bool has_config = false;
  Config config;
  std::vector<std::string> config_warnings;
  bool has_plan = false;     // etc/initoverlayfs.modules
  std::vector<PlannedModule> plan;
  std::string plan_problem;  // the plan does not parse
  std::string program;       // the early-boot program's path in the archive
  std::string program_version;   // from kEarlyBootVersionTag; empty: not found
  std::string program_machine;   // "x86-64", "AArch64", ...; empty: not ELF
  bool program_static = false;
  bool has_root_hash_sig = false;
  bool has_appended_image = false;  // placement initrd: config.fs inside it
  std::string appended_image;       // its bytes
};

// Reads a whole initramfs file's bytes. Fails only when the file is not an
// initramfs at all (no cpio archive the kernel would unpack); a classic
// initramfs gives is_mini false. Pure.
Result<MiniInspection> inspect_mini_initramfs(std::string_view file_bytes);

struct ImageVerdict {
  bool ok = false;
  std::vector<std::string> facts;  // what was found, one phrase each
  std::string problem;             // why it does not match; empty when ok
};

// Checks an image against what cfg expects, from its first bytes (at least
// the superblock's, when there are that many) and its whole length. Pure:
// the block-by-block verity check is run_inspect's.
ImageVerdict check_image(const Config& cfg, std::string_view start, uint64_t size);

// Where the image of a bootfs placement is read from: `fs` (the
// configuration's path on the boot filesystem) under the mount point of
// the boot filesystem's device `bootfs_dev` when mountinfo has it mounted
// from its root (the machine the pair is installed on; systemd-boot's copy
// of the mini initramfs in /boot/ENTRY-TOKEN/KVER/ is not beside its
// image), else beside `file` (a pair just built, or copied elsewhere).
// Devices are compared by their real paths. Pure but for realpath(3).
std::string bootfs_image_path(const std::string& file, const std::string& fs,
                              const std::string& bootfs_dev, std::string_view mountinfo);

// The --inspect command: prints the report on stdout, returns the exit
// status: 0 the pair is whole; 1 a problem (image missing, another image,
// cut short, hash tree not matching, unreadable configuration); 3 FILE is
// not a mini initramfs. FILE empty: the running kernel's in /boot
// (initrd.img-KVER, else initramfs-KVER.img).
int run_inspect(std::string file);

}  // namespace iofs
