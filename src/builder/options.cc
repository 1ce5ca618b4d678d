#include "builder/options.h"

#include "builder/dracut_args.h"
#include "builder/target_arch.h"
#include "builder/unpack_limit.h"

#include "core/config.h"
#include "core/strings.h"

namespace iofs {

namespace {

using enum OptionValue;
constexpr BuilderOption kOptions[] = {
    {"--initramfs", "", required},
    {"--rootdir", "", required},
    {"--kver", "", required},
    {"--moddir", "", required},
    {"--arch", "", required},
    {"--output-dir", "", required},
    {"--initramfs-name", "", required},
    {"--image-name", "", required},
    {"--force", "-f", none},
    {"--bootfs", "", required},
    {"--bootfstype", "", required},
    {"--bootfs-path", "", required},
    {"--placement", "", required},
    {"--write-partition", "", required},
    {"--mode", "", required},
    {"--dracut", "", rest},
    {"--lowerfs", "", required},
    {"--compression", "", required},
    {"--initramfs-compression", "", required},
    {"--verity", "", none},
    {"--verity-on-corruption", "", required},
    {"--verity-sign", "", required},
    {"--uki", "", required},
    {"--uki-kernel", "", required},
    {"--uki-stub", "", required},
    {"--uki-cmdline", "", required},
    {"--uki-sign", "", required},
    {"--max-unpacked-size", "", required},
    {"--drivers", "", required},
    {"--hostonly", "", none},
    {"--no-hostonly", "", none},
    {"--set", "", required},
    {"--early-boot-program", "", required},
    {"--rescue-shell", "", none},
    {"--rescue-busybox", "", required},
    {"--config", "", required},
    {"--no-config", "", none},
    {"--hook", "", none},
    {"--verbose", "-v", none},
    {"--inspect", "", optional},
    {"--prune", "", none},
    {"--help", "-h", none},
    {"--version", "", none},
};

bool in_option_table(std::string_view arg) {
  for (const BuilderOption& o : kOptions)
    if (arg == o.name || (!o.short_name.empty() && arg == o.short_name)) return true;
  return false;
}

}  // namespace

std::span<const BuilderOption> builder_option_table() { return kOptions; }

std::string builder_usage() {
  return R"(Usage: initoverlayfs-install [OPTIONS]
Splits an initramfs into a mini initramfs and an EROFS image (initoverlayfs).

Input (one; with neither, dracut or mkinitramfs makes one for KVER):
  --initramfs FILE          an existing initramfs (cpio, any compression,
                            early microcode archives in front)
  --rootdir DIR             a directory tree to use as the initial filesystem
  --max-unpacked-size SIZE  refuse an --initramfs (or the one dracut makes)
                            that unpacks to more than SIZE bytes (K, M, G, T
                            suffixes; default: the free space in $TMPDIR,
                            or /var/tmp, at most 8G)
Kernel:
  --kver KVER               kernel version (default: the running kernel)
  --moddir DIR              its modules (default: /lib/modules/KVER)
  --arch x86_64|arm64       the machine the pair is for (default: the one
                            the modules are built for); the early-boot
                            program must be for it
Output:
  --output-dir DIR          where to write the pair (default: /boot)
  --initramfs-name NAME     mini initramfs name (default: initramfs-KVER.img)
  --image-name NAME         image name, written as NAME-ID.EXT (default: initoverlayfs-KVER.img)
  -f, --force               replace existing files
Boot filesystem:
  --bootfs SPEC             UUID=, LABEL=, PARTUUID=, PARTLABEL= or /dev/NAME
                            (default: fstab entry or UUID of the filesystem
                            holding the output directory)
  --bootfstype TYPE         its type (default: detected)
  --bootfs-path DIR         where the output directory is on the boot
                            filesystem (default: derived from the mount table;
                            "/" when --bootfs names another filesystem)
Placement of the image:
  --placement bootfs        a file on the boot filesystem (default)
  --placement partition     a partition of its own, named by --bootfs
                            (PARTLABEL=... or PARTUUID=...): the image file
                            written is to be copied onto it; no boot
                            filesystem driver is needed at boot
  --write-partition DEV     with --placement partition: also copy the image
                            onto DEV, which must be the partition --bootfs
                            names and hold nothing but an older image
  --placement initrd        inside the mini initramfs, as an uncompressed
                            cpio appended to it: no disk needed at boot
  --placement pmem          placed in RAM by the bootloader and exposed as
                            persistent memory (memmap=SIZE!ADDR on x86),
                            mounted with DAX; uncompressed unless
                            --compression says otherwise
  --placement virtio-pmem   given to a VM as a virtio-pmem device (the
                            host's page cache is shared), mounted with DAX
Mini initramfs:
  --mode init               the early-boot program is /init (default)
  --mode systemd            systemd and udev, made by dracut; the program
                            runs as pre-initoverlayfs.service
Used in place of dracut:
  --dracut [DRACUT-OPTIONS] [OUTPUT [KVER]]
                            last option: the rest is a dracut command line
                            (e.g. --dracut -f /boot/initrd.img-KVER KVER):
                            dracut makes the full initramfs with those
                            options, converted into the mini initramfs at
                            OUTPUT and the image beside it
Contents:
  --lowerfs FS              the image's filesystem: erofs (default),
                            squashfs (zstd), ext4 (no journal) or btrfs
  --compression ALGO[,LEVEL]
                            image compression: lz4hc (default, level 12),
                            lz4 or none
  --initramfs-compression ALGO
                            mini initramfs compression: zstd (default), gzip,
                            xz, lz4, none
Authentication:
  --verity                  append a dm-verity hash tree to the image (with
                            veritysetup) and put its root hash in the mini
                            initramfs: the kernel checks every block read
  --verity-on-corruption eio|restart|panic
                            what a block that fails its check does: an I/O
                            error for that read (default), a restart, or a
                            kernel panic; implies --verity
  --verity-sign KEY,CERT    sign the root hash (PKCS#7, openssl smime) and
                            have the kernel check the signature against its
                            trusted keyrings; implies --verity
  --uki PATH                also a unified kernel image at PATH, %k the
                            kernel version (e.g. /efi/EFI/Linux/debian-%k.efi):
                            systemd-stub with the kernel, the mini initramfs
                            and the command line, put into place with the pair
  --uki-sign KEY,CERT       sign the UKI for Secure Boot (sbsign) with a key
                            the firmware's db trusts; implies nothing else
  --uki-cmdline TEXT        its command line (default: /etc/kernel/cmdline,
                            /usr/lib/kernel/cmdline, else /proc/cmdline)
  --uki-kernel PATH         its kernel (default: /boot/vmlinuz-KVER)
  --uki-stub PATH           systemd-stub (default: Debian's systemd-boot-efi
                            linuxx64.efi.stub or linuxaa64.efi.stub)
  --drivers MOD,...         more modules for the mini initramfs
  --hostonly                only the modules this machine needs to reach the
                            boot filesystem, instead of the generic set
  --no-hostonly             the generic set (undoes hostonly in the config)
  --set KEY=VALUE           a setting for the mini initramfs's
                            /etc/initoverlayfs.conf (e.g. timeout=10,
                            onfailure=reboot); repeatable
  --early-boot-program PATH the initoverlayfs binary to use as /init
                            (default: the one for the kernel's machine in
                            LIBDIR/initoverlayfs/ARCH/, else the one
                            installed with this program); refused if it is
                            for another machine than the kernel
  --rescue-shell            a static busybox in the mini initramfs as the
                            shell of "onfailure shell" when the image cannot
                            be mounted (about 620 KiB more, zstd):
                            /bin/busybox (Debian: busybox-static)
  --rescue-busybox PATH     that busybox from PATH; implies --rescue-shell
Defaults and hooks:
  --config FILE             read the builder's defaults from FILE (default:
                            /etc/initoverlayfs/install.conf, if it exists);
                            options given here win over it
  --no-config               read no defaults file
  --hook                    as run from a kernel or initramfs hook: an input
                            that is already a mini initramfs, "hooks no" in
                            the config or INITOVERLAYFS=no in the environment
                            is a skip with exit status 0, not an error
Checking:
  --inspect [FILE]          report on an installed mini initramfs (default:
                            the running kernel's in /boot): its versions,
                            configuration and modules, and whether the image
                            it expects is present and matches (exit status
                            0: yes; 1: a problem; 3: not a mini initramfs)
  --prune                   remove the kernel's earlier images from the
                            output directory that neither its mini initramfs
                            nor a boot loader entry's copy of one needs (the
                            kernel-install plugin runs it after the copy)
  -v, --verbose             explain each step
  -h, --help                this text
  --version                 print the version
)";
}

static std::vector<std::string> split_commas(std::string_view s) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos <= s.size()) {
    size_t c = s.find(',', pos);
    if (c == std::string_view::npos) c = s.size();
    if (c > pos) out.emplace_back(s.substr(pos, c - pos));
    pos = c + 1;
  }
  return out;
}

Result<void> parse_builder_args(const std::vector<std::string>& args, BuilderOptions& o) {
  auto bad = [](std::string what) { return fail("usage:", std::move(what)); };
  for (size_t i = 0; i < args.size(); ++i) {
    std::string arg = args[i];
    std::optional<std::string> inline_value;
    if (arg.starts_with("--")) {
      if (size_t eq = arg.find('='); eq != std::string::npos) {
        inline_value = arg.substr(eq + 1);
        arg = arg.substr(0, eq);
      }
    }
    if (!in_option_table(arg)) return bad("unknown option '" + args[i] + "' (see --help)");
    auto value = [&]() -> Result<std::string> {
      if (inline_value) return *inline_value;
      if (i + 1 >= args.size()) return bad(arg + " needs a value");
      return args[++i];
    };
    auto no_value = [&]() -> Result<void> {
      if (inline_value) return bad(arg + " takes no value");
      return {};
    };
    if (arg == "-f" || arg == "--force") { TRY(no_value()); o.force = true; }
    else if (arg == "-v" || arg == "--verbose") { TRY(no_value()); o.verbose = true; }
    else if (arg == "-h" || arg == "--help") { TRY(no_value()); o.mode = Mode::help; }
    else if (arg == "--version") { TRY(no_value()); o.mode = Mode::version; }
    else if (arg == "--inspect") {
      o.mode = Mode::inspect;
      if (inline_value) o.inspect_file = *inline_value;
      else if (i + 1 < args.size() && !args[i + 1].starts_with('-')) o.inspect_file = args[++i];
    }
    else if (arg == "--prune") { TRY(no_value()); o.mode = Mode::prune; }
    else if (arg == "--hostonly") { TRY(no_value()); o.hostonly = true; }
    else if (arg == "--no-hostonly") { TRY(no_value()); o.hostonly = false; }
    else if (arg == "--no-config") { TRY(no_value()); o.no_config = true; }
    else if (arg == "--hook") { TRY(no_value()); o.hook = true; }
    else if (arg == "--config") { o.config_file = TRY(value()); o.config_file_given = true; }
    else if (arg == "--kver") o.kver = TRY(value());
    else if (arg == "--moddir") o.moddir = TRY(value());
    else if (arg == "--arch") {
      o.arch = TRY(value());
      if (!find_target_arch(o.arch))
        return bad(str("--arch takes ", target_arch_names(), ", not '", o.arch, "'"));
    }
    else if (arg == "--initramfs") o.initramfs = TRY(value());
    else if (arg == "--rootdir") o.rootdir = TRY(value());
    else if (arg == "--output-dir") o.output_dir = TRY(value());
    else if (arg == "--initramfs-name") o.initramfs_name = TRY(value());
    else if (arg == "--image-name") o.image_name = TRY(value());
    else if (arg == "--bootfs") o.bootfs = TRY(value());
    else if (arg == "--bootfstype") o.bootfstype = TRY(value());
    else if (arg == "--bootfs-path") o.bootfs_path = TRY(value());
    else if (arg == "--early-boot-program") o.early_boot_program = TRY(value());
    else if (arg == "--write-partition") o.write_partition = TRY(value());
    else if (arg == "--rescue-shell") { TRY(no_value()); o.rescue_busybox = kDefaultRescueBusybox; }
    else if (arg == "--rescue-busybox") {
      o.rescue_busybox = TRY(value());
      if (o.rescue_busybox.empty()) return bad("--rescue-busybox needs a path");
    }
    else if (arg == "--max-unpacked-size") {
      std::string v = TRY(value());
      auto size = parse_size(v);
      if (!size) return bad("--max-unpacked-size: " + size.error().detail);
      o.max_unpacked_size = *size;
    }
    else if (arg == "--mode") {
      std::string m = TRY(value());
      if (m == "init") o.boot_mode = BootMode::init;
      else if (m == "systemd") o.boot_mode = BootMode::systemd;
      else return bad("--mode takes init or systemd, not '" + m + "'");
    } else if (arg == "--dracut") {
      TRY(no_value());
      // Everything after it is dracut's; builder options go before.
      TRY(apply_dracut_args(std::vector<std::string>(args.begin() + i + 1, args.end()), o));
      break;
    }
    else if (arg == "--lowerfs") {
      o.lowerfs = TRY(value());
      if (o.lowerfs != "erofs" && o.lowerfs != "squashfs" && o.lowerfs != "ext4" &&
          o.lowerfs != "btrfs")
        return bad("--lowerfs takes erofs, squashfs, ext4 or btrfs, not '" + o.lowerfs + "'");
    }
    else if (arg == "--placement") {
      std::string name = TRY(value());
      auto placement = parse_placement(name);
      if (!placement)
        return bad(str("--placement takes ", placement_names(), ", not '", name, "'"));
      o.placement = *placement;
      o.placement_given = true;
    }
    else if (arg == "--initramfs-compression") {
      o.initramfs_compression = TRY(value());
      const auto& c = o.initramfs_compression;
      if (c != "zstd" && c != "gzip" && c != "xz" && c != "lz4" && c != "none")
        return bad("--initramfs-compression takes zstd, gzip, xz, lz4 or none, not '" + c + "'");
    } else if (arg == "--compression") {
      std::string v = TRY(value());
      o.compression_given = true;
      auto parts = split_commas(v);
      if (parts.empty() || parts.size() > 2) return bad("--compression takes ALGO[,LEVEL]");
      o.image_compression = parts[0];
      o.image_level = -1;
      if (o.image_compression != "lz4hc" && o.image_compression != "lz4" &&
          o.image_compression != "none")
        return bad("--compression: '" + parts[0] +
                   "' is not one of lz4hc, lz4, none (what this mkfs.erofs and "
                   "both target kernels read)");
      if (parts.size() == 2) {
        auto level = parse_int<int>(parts[1]);
        if (!level || *level < 0 || *level > 12 || o.image_compression != "lz4hc")
          return bad("--compression: a level (0-12) goes with lz4hc only");
        o.image_level = *level;
      } else if (o.image_compression == "lz4hc") {
        o.image_level = 12;
      }
    } else if (arg == "--verity") {
      TRY(no_value());
      o.verity = true;
    } else if (arg == "--verity-on-corruption") {
      o.verity_on_corruption = TRY(value());
      if (!parse_verity_on_corruption(o.verity_on_corruption))
        return bad("--verity-on-corruption takes eio, restart or panic, not '" +
                   o.verity_on_corruption + "'");
      o.verity = true;
    } else if (arg == "--verity-sign") {
      auto parts = split_commas(TRY(value()));
      if (parts.size() != 2) return bad("--verity-sign takes KEY,CERT (two files)");
      o.verity_sign_key = parts[0];
      o.verity_sign_cert = parts[1];
      o.verity = true;
    } else if (arg == "--uki") {
      o.uki = TRY(value());
      if (o.uki.empty()) return bad("--uki needs a path");
    } else if (arg == "--uki-kernel") {
      o.uki_kernel = TRY(value());
    } else if (arg == "--uki-stub") {
      o.uki_stub = TRY(value());
    } else if (arg == "--uki-cmdline") {
      o.uki_cmdline = TRY(value());
      o.uki_cmdline_given = true;
    } else if (arg == "--uki-sign") {
      auto parts = split_commas(TRY(value()));
      if (parts.size() != 2) return bad("--uki-sign takes KEY,CERT (two files)");
      o.uki_sign_key = parts[0];
      o.uki_sign_cert = parts[1];
    } else if (arg == "--drivers") {
      for (auto& d : split_commas(TRY(value()))) o.drivers.push_back(d);
    } else if (arg == "--set") {
      std::string kv = TRY(value());
      size_t eq = kv.find('=');
      if (eq == std::string::npos || eq == 0) return bad("--set takes KEY=VALUE, not '" + kv + "'");
      Config probe;
      std::string key = kv.substr(0, eq), val = kv.substr(eq + 1);
      if (auto w = apply_setting(probe, key, val)) return bad("--set " + kv + ": " + *w);
      o.settings.emplace_back(key, val);
    } else {
      return bad("option '" + arg + "' is in the option table but not handled");
    }
  }
  return {};
}

namespace {

// The config keys the builder writes itself from what it builds: a --set of
// one would silently undo an option or describe another pair (--set
// verity=0 on a --verity build boots an image nobody checks; --set fs=...
// names an image that is not this one). Each is refused, naming the option
// that decides it.
constexpr std::pair<std::string_view, std::string_view> kKeysTheBuilderWrites[] = {
    {"placement", "--placement"},
    {"bootfs", "--bootfs"},
    {"bootfstype", "--bootfstype"},
    {"bootfs_hint", "--bootfs (the hint is the device it is mounted from)"},
    {"fs", "--image-name (and the output directory)"},
    {"fstype", "--lowerfs"},
    {"modules", "--drivers or --hostonly (the load plan is built for the kernel)"},
};

Result<void> check_settings(const BuilderOptions& o) {
  for (const auto& [key, value] : o.settings) {
    if (key.starts_with("verity"))
      return fail("usage:", str("--set ", key, "=", value, ": the verity settings are written from the "
                                "image's hash tree; use --verity, --verity-on-corruption, --verity-sign"));
    for (const auto& [k, option] : kKeysTheBuilderWrites)
      if (key == k)
        return fail("usage:", str("--set ", key, "=", value, ": the builder writes '", key,
                                  "' from what it builds; use ", option));
  }
  return {};
}

}  // namespace

Result<void> check_builder_options(BuilderOptions& o) {
  auto bad = [](std::string what) { return fail("usage:", std::move(what)); };
  TRY(check_settings(o));
  const PlacementInfo& p = placement_info(o.placement);
  if (p.bootfs_option == BootfsOption::required && o.bootfs.empty())
    return bad(str("--placement ", p.name, " needs --bootfs naming the partition (PARTLABEL=...)"));
  if (!o.write_partition.empty() && !p.write_partition_allowed)
    return bad("--write-partition goes with --placement partition");
  if (o.boot_mode == BootMode::systemd && !o.rescue_busybox.empty())
    return bad("--rescue-shell goes with --mode init: in --mode systemd the mini initramfs is "
               "dracut's, without the program's failure shell");
  if (p.dax && o.lowerfs != "erofs")
    return bad(str("--placement ", p.name, " mounts with DAX, which needs --lowerfs erofs"));
  if (p.bootfs_option == BootfsOption::refused && !o.bootfs.empty())
    return bad(str("--placement ", p.name, " finds the image by the UUID it gives it; no --bootfs"));
  if (p.dax && !o.compression_given) o.image_compression = "none";  // DAX maps file data directly
  if (!p.hostonly_allowed && o.hostonly)
    return bad("--hostonly looks at the boot filesystem; it goes with --placement bootfs only");
  if (!o.initramfs.empty() && !o.rootdir.empty())
    return bad("--initramfs and --rootdir exclude each other");
  if (o.dracut_wrapper && (!o.initramfs.empty() || !o.rootdir.empty()))
    return bad("--dracut makes the input with dracut: no --initramfs or --rootdir");
  if (o.uki.empty() && (!o.uki_kernel.empty() || !o.uki_stub.empty() || o.uki_cmdline_given ||
                        !o.uki_sign_key.empty()))
    return bad("--uki-kernel, --uki-stub, --uki-cmdline and --uki-sign go with --uki PATH");
  for (const std::string* name : {&o.initramfs_name, &o.image_name})
    if (name->find('/') != std::string::npos)
      return bad("output names are file names, not paths: '" + *name + "'");
  return {};
}

Result<BuilderOptions> parse_builder_options(const std::vector<std::string>& args) {
  BuilderOptions o;
  TRY(parse_builder_args(args, o));
  TRY(check_builder_options(o));
  return o;
}

}  // namespace iofs
