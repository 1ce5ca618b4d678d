#include "builder/systemd_initramfs.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <optional>
#include <utility>

#include "builder/spawn.h"
#include "core/strings.h"
#include "core/sys.h"
#include "core/version.h"

namespace fs = std::filesystem;

namespace iofs {

namespace {

constexpr const char* kModuleName = "90initoverlayfs";

std::string dracut_compress_flag(const std::string& algo) {
  if (algo == "none") return "--no-compress";
  return "--" + algo;  // --zstd, --gzip, --xz, --lz4
}

// dracut finds modules only in $dracutbasedir/modules.d and has no option
// naming another directory. So that the builder uses the module it was
// shipped with, and needs nothing installed into the system's dracut, dracut
// runs with a private base directory: links to the system's dracut files
// and modules, and to our module instead of any installed copy of it.
Result<std::string> private_dracut_base(const std::string& module_dir, const std::string& work) {
  const char* env = std::getenv("dracutbasedir");
  const fs::path system_base = env && *env ? env : "/usr/lib/dracut";
  if (!fs::exists(system_base / "dracut-init.sh"))
    return fail("dracut", system_base.string() + " holds no dracut (install dracut-core)");
  const fs::path base = fs::path(work) / "dracut-base";
  std::error_code ec;
  fs::create_directories(base / "modules.d", ec);
  if (ec) return fail("create directory", (base / "modules.d").string(), ec.value());
  auto link = [&](const fs::path& target, const fs::path& at) -> Result<void> {
    std::error_code e;
    fs::create_symlink(target, at, e);
    if (e) return fail("symlink", at.string() + " -> " + target.string(), e.value());
    return {};
  };
  for (const auto& entry : fs::directory_iterator(system_base, ec))
    if (entry.path().filename() != "modules.d")
      TRY(link(entry.path(), base / entry.path().filename()));
  for (const auto& entry : fs::directory_iterator(system_base / "modules.d", ec))
    if (!entry.path().filename().string().ends_with("initoverlayfs"))
      TRY(link(entry.path(), base / "modules.d" / entry.path().filename()));
  if (ec) return fail("read directory", system_base.string(), ec.value());
  TRY(link(module_dir, base / "modules.d" / kModuleName));
  return base.string();
}

}  // namespace

Result<std::string> find_systemd_data_dir() {
  std::error_code ec;
  fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return fail("find own location", "/proc/self/exe", ec.value());
  // Installed: PREFIX/share/initoverlayfs beside PREFIX/bin; a build tree:
  // the source tree's dist/.
  for (const fs::path& dir : {self.parent_path() / IOFS_DATADIR_FROM_BINDIR, fs::path(IOFS_SOURCE_DIST)})
    if (sys::exists((dir / "dracut" / kModuleName / "module-setup.sh").string()))
      return fs::weakly_canonical(dir).string();
  return fail("--mode systemd", str("no dracut/", kModuleName, " in ",
                                    (self.parent_path() / IOFS_DATADIR_FROM_BINDIR).string(),
                                    " or ", IOFS_SOURCE_DIST));
}

std::vector<std::string> systemd_dracut_argv(const SystemdInitramfsSpec& spec,
                                             const std::string& confdir,
                                             const std::string& out) {
  std::string drivers;
  for (const std::string& d : spec.drivers) drivers += (drivers.empty() ? "" : " ") + d;
  // Not the host's dracut configuration: the mini initramfs holds what its
  // job needs, the same on every machine (--no-hostonly), and the input's
  // early archives are put in front by the builder (--no-early-microcode).
  std::vector<std::string> argv = {
      "dracut", "--force", "--no-hostonly", "--no-hostonly-cmdline", "--no-early-microcode",
      "--conf", "/dev/null", "--confdir", confdir,
      "--modules", "systemd systemd-udevd initoverlayfs",
      "--kver", spec.kver, "--kmoddir", spec.moddir,
      dracut_compress_flag(spec.compression), "--tmpdir", spec.work_dir};
  if (!drivers.empty()) argv.insert(argv.end(), {"--add-drivers", drivers});
  if (spec.reproducible) argv.push_back("--reproducible");
  if (!spec.verbose) argv.push_back("--quiet");
  argv.push_back(out);
  return argv;
}

Result<void> make_systemd_initramfs(const SystemdInitramfsSpec& spec, const std::string& out) {
  if (!program_exists("dracut"))
    return fail("--mode systemd", "needs dracut to make the mini initramfs (install dracut-core)");
  const std::string module_dir = spec.data_dir + "/dracut/" + kModuleName;
  const std::string units = spec.data_dir + "/systemd";
  if (!sys::exists(module_dir + "/module-setup.sh") || !sys::exists(units + "/pre-initoverlayfs.service"))
    return fail("--mode systemd", str(spec.data_dir, " lacks dracut/", kModuleName, " or systemd/"));
  const std::string base = TRY(private_dracut_base(module_dir, spec.work_dir));
  const std::string confdir = spec.work_dir + "/dracut.conf.d";
  const std::string config = spec.work_dir + "/initoverlayfs.conf";
  const std::string made = spec.work_dir + "/mini.img";
  // The marker of every mini initramfs (mini_initramfs.h): without it, a
  // hook would convert this one again, and --inspect would not know it.
  const std::string marker = spec.work_dir + "/initoverlayfs-install.made";
  const std::string sig = spec.work_dir + "/roothash.p7s";
  TRY(sys::make_dir(confdir));
  std::vector<std::pair<std::string, std::string>> files = {
      {config, spec.config_text}, {marker, str("initoverlayfs-install ", kVersion, "\n")}};
  if (!spec.root_hash_sig.empty()) files.emplace_back(sig, spec.root_hash_sig);
  for (const auto& [path, text] : files) {
    UniqueFd fd = TRY(sys::open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0644));
    TRY(sys::write_all(fd.get(), text, path));
  }
  // What the dracut module reads (module-setup.sh); and no
  // /etc/initramfs/post-update.d/ hooks on this scratch file, which Debian
  // 13's dracut (dracut-ng 106) runs after writing any initramfs (see
  // input.cc).
  const std::pair<const char*, std::string> env[] = {{"dracutbasedir", base},
                                                     {"initoverlayfs_config", config},
                                                     {"initoverlayfs_marker", marker},
                                                     {"initoverlayfs_program", spec.program},
                                                     {"initoverlayfs_units", units},
                                                     {"initoverlayfs_roothash_sig",
                                                      spec.root_hash_sig.empty() ? "" : sig},
                                                     {"NO_POST_UPDATE_HOOKS", "1"}};
  std::optional<std::string> saved_base;
  if (const char* b = std::getenv("dracutbasedir")) saved_base = b;
  for (const auto& [name, value] : env) ::setenv(name, value.c_str(), 1);
  auto ran = run_program(systemd_dracut_argv(spec, confdir, made), {.quiet = !spec.verbose});
  for (const auto& [name, value] : env) ::unsetenv(name);
  if (saved_base) ::setenv("dracutbasedir", saved_base->c_str(), 1);
  TRY(std::move(ran));

  UniqueFd fd = TRY(sys::open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644));
  TRY(sys::write_all(fd.get(), spec.early_cpio, out));
  UniqueFd made_fd = TRY(sys::open(made, O_RDONLY));
  TRY(sys::copy_fd(made_fd.get(), fd.get(), out));
  if (::fsync(fd.get()) != 0) return sys_error("fsync", out);
  return {};
}

}  // namespace iofs
