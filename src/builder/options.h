// The builder's command line.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.h"
#include "core/placement.h"

namespace iofs {

enum class Mode { build, help, version, inspect, prune };

// What the mini initramfs runs (--mode):
//   init     the early-boot program as /init, PID 1 (the default)
//   systemd  systemd and udev, made by dracut; the program runs as
//            pre-initoverlayfs.service (dist/systemd/, dist/dracut/)
enum class BootMode { init, systemd };

// Where --rescue-shell takes the busybox from: Debian's busybox-static.
inline constexpr const char* kDefaultRescueBusybox = "/bin/busybox";

struct BuilderOptions {
  Mode mode = Mode::build;
  bool force = false;
  bool verbose = false;
  bool hostonly = false;
  std::string kver;         // default: running kernel
  std::string moddir;       // default: /lib/modules/KVER or /usr/lib/modules/KVER
  std::string initramfs;    // input file
  std::string rootdir;      // input directory
  std::string output_dir = "/boot";
  std::string initramfs_name;  // default initramfs-KVER.img
  std::string image_name;      // base name, default initoverlayfs-KVER.img (written as BASE-ID.EXT)
  std::string bootfs;          // UUID=... etc; default: from the mount table
  std::string bootfstype;
  std::string bootfs_path;     // where output_dir is on the boot fs
  Placement placement = Placement::bootfs;
  // --placement was given: the builder does not change it (boot_target.h).
  bool placement_given = false;
  bool compression_given = false;     // --compression was on the command line
  std::string write_partition;        // --placement partition: also write it here
  std::string lowerfs = "erofs";  // erofs, squashfs, ext4, btrfs
  std::string image_compression = "lz4hc";
  int image_level = 12;        // -1: tool default
  std::string initramfs_compression = "zstd";
  bool verity = false;                        // append a dm-verity hash tree
  std::string verity_on_corruption = "eio";   // eio, restart, panic
  std::string verity_sign_key, verity_sign_cert;  // --verity-sign KEY,CERT
  // --uki PATH: also a unified kernel image holding the mini initramfs
  // (uki.h), put into place with the pair; empty: none.
  std::string uki;
  std::string uki_kernel;   // default: /boot/vmlinuz-KVER
  std::string uki_stub;     // default: systemd-stub for the kernel's machine
  std::string uki_cmdline;  // default: default_uki_cmdline()
  bool uki_cmdline_given = false;
  std::string uki_sign_key, uki_sign_cert;  // --uki-sign KEY,CERT
  std::vector<std::string> drivers;
  // --max-unpacked-size: what the input initramfs may unpack to; 0: the
  // default (unpack_limit.h).
  uint64_t max_unpacked_size = 0;
  std::string early_boot_program;  // default: the one installed with us, or for the target
  // --arch: the machine the pair is for (target_arch.h); empty: the
  // modules' (their ELF headers). Either way the program must be for it.
  std::string arch;
  // --rescue-shell: this static busybox in the mini initramfs as the shell
  // of the failure action (--rescue-busybox PATH names another); empty: none.
  std::string rescue_busybox;
  std::vector<std::pair<std::string, std::string>> settings;  // --set KEY=VALUE
  // The host's defaults (initoverlayfs-install.conf(5)); see host_config.h.
  std::string config_file = "/etc/initoverlayfs/install.conf";
  bool config_file_given = false;  // --config: a missing file is an error
  bool no_config = false;          // --no-config
  // --hook: run from a kernel or initramfs hook: an input that is already a
  // mini initramfs, or hooks switched off, is a skip with exit 0.
  bool hook = false;
  BootMode boot_mode = BootMode::init;
  // --dracut: what follows is a dracut command line (dracut -f OUTPUT KVER),
  // see dracut_args.h; these are its options passed on to the dracut run
  // that makes the full initramfs.
  bool dracut_wrapper = false;
  // --inspect [FILE]: report on an installed mini initramfs (inspect.h);
  // empty: the running kernel's.
  std::string inspect_file;
  std::vector<std::string> dracut_args;
};

// Every option parse_builder_args() accepts: anything else is an unknown
// option. The tests check --help and initoverlayfs-install(8) against it,
// so a new option goes here first.
enum class OptionValue {
  none,      // --force; --force=yes is an error
  required,  // --kver KVER or --kver=KVER
  rest,      // --dracut: every argument after it is dracut's
  optional,  // --inspect, --inspect FILE (a word not starting with '-') or --inspect=FILE
};
struct BuilderOption {
  std::string_view name;        // "--force"
  std::string_view short_name;  // "-f", or empty
  OptionValue value;
};
std::span<const BuilderOption> builder_option_table();

Result<BuilderOptions> parse_builder_options(const std::vector<std::string>& args);

// The two halves of parse_builder_options: each option on its own, applied
// to `o` in order (a later one wins), then the checks across options.
Result<void> parse_builder_args(const std::vector<std::string>& args, BuilderOptions& o);
Result<void> check_builder_options(BuilderOptions& o);
std::string builder_usage();

}  // namespace iofs
