#include "builder/image.h"

#include "builder/spawn.h"
#include "core/strings.h"
#include "core/sys.h"

namespace iofs {

static std::string config_value(std::string_view config, std::string_view key) {
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
      moddir + "/config",
      "/boot/config-" + kver,
  };
  for (const std::string& path : candidates) {
    auto text = sys::read_file(path);
    if (!text) continue;
    if (config_value(*text, "CONFIG_EROFS_FS").empty())
      return fail("kernel " + kver, str("cannot mount EROFS images (CONFIG_EROFS_FS is not set in ", path, ")"));
    if (fmt.compression != "none" && config_value(*text, "CONFIG_EROFS_FS_ZIP") != "y")
      return fail("kernel " + kver,
                  str("cannot read compressed EROFS images (CONFIG_EROFS_FS_ZIP is not set in ",
                      path, "); use --compression none"));
    return path;
  }
  return std::string();
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
  argv.push_back(out);
  argv.push_back(src_dir);
  auto r = run_program(argv, {.quiet = !verbose});
  if (!r) return fail("make image", str(out, " from ", src_dir, ": ", r.error().message()));
  return {};
}

}  // namespace iofs
