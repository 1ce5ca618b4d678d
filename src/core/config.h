// The early-boot program's configuration.
//
// /etc/initoverlayfs.conf holds one "key value" pair per line; '#' starts a
// comment line; the value is the rest of the line, trimmed. The keys of the
// original initoverlayfs (bootfs, bootfs_hint, bootfstype, fs, fstype) keep
// their meaning. The kernel command line overrides any key with
// initoverlayfs.<key>=<value>. Unknown keys and malformed lines produce
// warnings and are otherwise ignored: a bad line must not stop a boot.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/placement.h"

namespace iofs {

enum class FailureAction { shell, reboot, poweroff, halt };

// Where the boot stops for a shell that the user asked for (as dracut's
// rd.break=pre-pivot): pre_switch opens the image's shell once everything
// is mounted and checked, just before the switch; the boot goes on when it
// exits. "initoverlayfs.break" alone on the kernel command line means
// pre-switch.
enum class BreakPoint { none, pre_switch };
std::optional<BreakPoint> parse_break_point(std::string_view s);
std::string_view to_string(BreakPoint b);

std::optional<FailureAction> parse_failure_action(std::string_view s);
std::string_view to_string(FailureAction a);

// What the new root is:
//   overlay  one overlay of the whole image (the default)
//   tmpfs    a tmpfs holding copies of the image's top-level files and one
//            overlay per non-empty top-level directory, for an initramfs
//            whose init insists that / is a ramfs or tmpfs (klibc's run-init,
//            used by initramfs-tools)
enum class RootLayout { overlay, tmpfs };
std::optional<RootLayout> parse_root_layout(std::string_view s);
std::string_view to_string(RootLayout l);

// What dm-verity does when a block does not match its hash
// (Documentation/admin-guide/device-mapper/verity.rst): fail the read with
// EIO (the default), restart the machine, or panic.
enum class VerityOnCorruption { eio, restart, panic };
std::optional<VerityOnCorruption> parse_verity_on_corruption(std::string_view s);
std::string_view to_string(VerityOnCorruption v);

// The image's dm-verity parameters, as veritysetup format computed them.
// The hash tree is appended to the image: it starts at hash_offset bytes
// (the end of the data, aligned to the block size), without a verity
// superblock, so every parameter comes from here.
struct VerityConfig {
  bool enabled = false;        // "verity 1": required, and locked (see below)
  std::string root_hash;       // lowercase hex
  std::string salt = "-";      // lowercase hex, "-" for none
  uint32_t data_block_size = 4096;
  uint32_t hash_block_size = 4096;
  uint64_t data_blocks = 0;
  uint64_t hash_offset = 0;    // bytes from the start of the image
  std::string hash_algorithm = "sha256";
  VerityOnCorruption on_corruption = VerityOnCorruption::eio;
  std::string root_hash_sig;   // PKCS#7 signature file in the mini initramfs
  bool operator==(const VerityConfig&) const = default;
};

struct Config {
  // Where the image is (placement.h): bootfs, a file (fs) on the boot
  // filesystem (bootfs), mounted first; partition, the block device bootfs
  // itself; initrd, a file (fs) inside the initramfs, appended by the builder.
  Placement placement = Placement::bootfs;
  std::string bootfs;       // UUID=, LABEL=, PARTUUID=, PARTLABEL= or /dev/...
  std::string bootfs_hint;  // /dev/... tried first
  std::string bootfstype;   // empty: detected by libblkid
  std::string bootfs_options = "ro";  // mount options of the boot filesystem
  std::string fs;           // image path, relative to the boot fs root
  // The image's EROFS UUID (canonical, lowercase): the early-boot program
  // refuses an image whose superblock says otherwise. Empty: not checked.
  std::string fs_uuid;
  std::string fstype = "erofs";       // type of the image
  std::string fs_options;             // its extra mount options (dax=always)
  std::string modules = "/etc/initoverlayfs.modules";  // module load plan
  std::chrono::milliseconds timeout{30000};            // device wait
  // How long PID 1 waits for the modules still loading once it needs them
  // (a driver stuck in finit_module would otherwise hold the boot forever).
  std::chrono::milliseconds module_timeout{60000};
  std::optional<FailureAction> onfailure;  // unset: shell if /bin/sh, else halt
  BreakPoint break_at = BreakPoint::none;  // key "break"
  std::string tmpfs_size;                  // size= of the upper tmpfs
  std::string init;                        // next init; empty: kernel order
  RootLayout root_layout = RootLayout::overlay;
  bool debug = false;
  VerityConfig verity;
  // Every field: the tests check parse_config(format_config(c)) == c.
  bool operator==(const Config&) const = default;
};

// Applies one key/value to cfg. Returns a warning text for an unknown key
// or a bad value (cfg then keeps its previous value), nullopt on success.
std::optional<std::string> apply_setting(Config& cfg, std::string_view key,
                                         std::string_view value);

// Applies the kernel command line's initoverlayfs.<key>=<value> overrides
// in order. When the config file requires verity (cfg.verity.enabled on
// entry), no verity_* key (nor verity itself) can be changed from there,
// nor any key that changes what is mounted or run (fs, fstype,
// fs_options, bootfs_options, modules, init, break, onfailure): such an
// override is refused and a warning returned for it, so a bootloader
// prompt cannot turn authentication off, swap the root hash or get a shell.
// Returns the warnings, each naming the key.
std::vector<std::string> apply_cmdline_overrides(
    Config& cfg, const std::vector<std::pair<std::string, std::string>>& overrides);

// Why the verity settings cannot be used (a missing root hash, a hash
// offset inside the data...), or nullopt when they are complete. Only
// meaningful when cfg.verity.enabled.
std::optional<std::string> verity_config_problem(const VerityConfig& v);

// Parses a config file's text into cfg; warnings are appended, each naming
// the line ("line 3: unknown key 'bootfz'").
void parse_config(std::string_view text, Config& cfg,
                  std::vector<std::string>& warnings);

// Accepts "30", "30s", "1500ms", "2m"; seconds when there is no unit.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view s);

// Renders cfg back as a config file (the builder writes it; tests compare).
std::string format_config(const Config& cfg);

}  // namespace iofs
