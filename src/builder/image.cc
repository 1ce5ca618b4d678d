#include "builder/image.h"

#include <unistd.h>

#include <filesystem>
#include <optional>

#include "builder/spawn.h"
#include "core/strings.h"
#include "core/sys.h"

namespace iofs {

std::string kernel_config_value(std::string_view config, std::string_view key) {
  for (std::string_view line : split_lines(config)) {
    if (line.starts_with(key) && line.size() > key.size() && line[key.size()] == '=')
      return std::string(line.substr(key.size() + 1));
  }
  return {};
}

Result<std::string> check_kernel_reads(const std::string& moddir, const std::string& kver,
                                       const ImageFormat& fmt) {
  const std::string candidates[] = {
      moddir + "/../../../boot/config-" + kver,
      // An unpacked merged-/usr package (Debian 13): ROOT/usr/lib/modules/KVER
      // beside ROOT/boot.
      moddir + "/../../../../boot/config-" + kver,
      moddir + "/config",
      "/boot/config-" + kver,
  };
  for (const std::string& path : candidates) {
    auto text = sys::read_file(path);
    if (!text) continue;
    const char* option = fmt.fs == "squashfs" ? "CONFIG_SQUASHFS"
                         : fmt.fs == "ext4"   ? "CONFIG_EXT4_FS"
                         : fmt.fs == "btrfs"  ? "CONFIG_BTRFS_FS"
                                              : "CONFIG_EROFS_FS";
    if (kernel_config_value(*text, option).empty())
      return fail("kernel " + kver, str("cannot mount ", fmt.fs, " images (", option,
                                        " is not set in ", path, ")"));
    if (fmt.fs == "squashfs" && kernel_config_value(*text, "CONFIG_SQUASHFS_ZSTD") != "y")
      return fail("kernel " + kver, str("cannot read zstd squashfs (CONFIG_SQUASHFS_ZSTD is not set in ", path, ")"));
    if (fmt.fs == "erofs" && fmt.compression != "none" &&
        kernel_config_value(*text, "CONFIG_EROFS_FS_ZIP") != "y")
      return fail("kernel " + kver,
                  str("cannot read compressed EROFS images (CONFIG_EROFS_FS_ZIP is not set in ",
                      path, "); use --compression none"));
    // Debian 12's arm64 6.1 has neither FS_DAX nor ZONE_DEVICE: its
    // /dev/pmem0 appears, but erofs refuses dax=always ("dax options not
    // supported") and the boot ends in the failure action.
    if (fmt.dax && kernel_config_value(*text, "CONFIG_FS_DAX") != "y")
      return fail("kernel " + kver,
                  str("cannot mount with DAX (CONFIG_FS_DAX is not set in ", path,
                      "), which the pmem placements mount with; use --placement initrd "
                      "for an image in memory"));
    return path;
  }
  return std::string();
}

namespace {

// Room for a tree in a filesystem that cannot grow: its bytes and inode
// count, with slack for metadata.
struct TreeSize {
  uint64_t bytes = 0;
  uint64_t inodes = 0;
};
TreeSize measure_tree(const std::string& dir) {
  TreeSize t;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    ++t.inodes;
    if (it->is_regular_file(ec) && !it->is_symlink(ec)) t.bytes += it->file_size(ec);
  }
  return t;
}

Result<void> make_erofs_image(const std::string& src_dir, const std::string& out,
                              const ImageFormat& fmt, bool verbose) {
  std::vector<std::string> argv = {"mkfs.erofs"};
  if (!verbose) argv.push_back("--quiet");
  if (fmt.compression != "none")
    argv.push_back(fmt.level >= 0 ? str("-z", fmt.compression, ",", fmt.level)
                                  : "-z" + fmt.compression);
  // Per-file mtimes as in the input (by default mkfs.erofs may fold them
  // into the build time to keep inodes compact).
  argv.push_back("--preserve-mtime");
  if (!fmt.uuid.empty()) argv.push_back("-U" + fmt.uuid);
  argv.push_back(out);
  argv.push_back(src_dir);
  return run_program(argv, {.quiet = !verbose});
}

// Number after "KEY:" in dumpe2fs -h output.
std::optional<uint64_t> dumpe2fs_field(std::string_view text, std::string_view key) {
  for (std::string_view line : split_lines(text))
    if (line.starts_with(key) && line.substr(key.size()).starts_with(':'))
      return parse_int<uint64_t>(trim(line.substr(key.size() + 1)));
  return std::nullopt;
}

// mkfs.ext4 -d into a generous size, then shrunk to the minimum
// (resize2fs -M after the e2fsck -f it insists on) and the file cut there.
Result<void> make_ext4_image(const std::string& src_dir, const std::string& out,
                             const TreeSize& t, bool verbose) {
  SpawnIo io{.quiet = !verbose};
  TRY(run_program({"mkfs.ext4", "-q", "-F", "-O", "^has_journal", "-N",
                   std::to_string(t.inodes + 1024), "-d", src_dir, out}, io));
  // Both print their version on stderr even when all is well; their exit
  // status carries the verdict.
  SpawnIo hushed{.quiet = !verbose, .quiet_stderr = !verbose};
  TRY(run_program({"e2fsck", "-f", "-y", out}, hushed));
  TRY(run_program({"resize2fs", "-M", out}, hushed));
  // Its report through a pipe: no side file next to the image.
  std::string dump;
  TRY(run_program({"dumpe2fs", "-h", out}, {.stdout_capture = &dump}));
  auto blocks = dumpe2fs_field(dump, "Block count");
  auto block_size = dumpe2fs_field(dump, "Block size");
  if (!blocks || !block_size) return fail("read", "dumpe2fs -h " + out + ": no block count");
  if (::truncate(out.c_str(), static_cast<off_t>(*blocks * *block_size)) != 0)
    return sys_error("truncate", out);
  return {};
}

Result<void> make_sized_image(const std::string& src_dir, const std::string& out,
                              const std::string& fs, bool verbose) {
  TreeSize t = measure_tree(src_dir);
  // Blocks are 4 KiB; count each inode's partial block, then add a fifth
  // and 64 MiB for metadata (btrfs shrinks it away afterwards).
  uint64_t size = (t.bytes + t.inodes * 4096) * 6 / 5 + (uint64_t{64} << 20);
  if (::truncate(out.c_str(), static_cast<off_t>(size)) != 0) return sys_error("truncate", out);
  if (fs == "ext4") return make_ext4_image(src_dir, out, t, verbose);
  return run_program({"mkfs.btrfs", "-q", "-f", "--rootdir", src_dir, "--shrink", out},
                     {.quiet = !verbose});
}

}  // namespace

Result<void> make_image(const std::string& src_dir, const std::string& out,
                        const ImageFormat& fmt, bool verbose) {
  Result<void> r;
  if (fmt.fs == "erofs")
    r = make_erofs_image(src_dir, out, fmt, verbose);
  else if (fmt.fs == "squashfs")
    r = run_program({"mksquashfs", src_dir, out, "-noappend", "-comp", "zstd",
                     "-Xcompression-level", "19", "-no-progress", "-quiet"},
                    {.quiet = !verbose});
  else
    r = make_sized_image(src_dir, out, fmt.fs, verbose);
  if (!r) return fail("make image", str(out, " (", fmt.fs, ") from ", src_dir, ": ", r.error().message()));
  return {};
}

}  // namespace iofs
