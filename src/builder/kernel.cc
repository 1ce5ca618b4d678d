#include "builder/kernel.h"

#include <sys/utsname.h>

#include <filesystem>

#include "builder/say.h"
#include "core/strings.h"
#include "core/sys.h"

namespace fs = std::filesystem;

namespace iofs {

Result<std::string> find_early_boot_program(const std::string& given) {
  if (!given.empty()) {
    if (!sys::is_executable(given)) return fail("early-boot program", given + ": not an executable file");
    return given;
  }
  std::error_code ec;
  fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return fail("find own location", "/proc/self/exe", ec.value());
  const fs::path candidates[] = {self.parent_path() / IOFS_SBINDIR_FROM_BINDIR / "initoverlayfs",
                                 self.parent_path() / "initoverlayfs"};
  for (const fs::path& candidate : candidates) {
    if (sys::is_executable(candidate.string())) return fs::weakly_canonical(candidate).string();
  }
  return fail("find the early-boot program",
              str("no initoverlayfs next to ", self.string(), " or in ",
                  (self.parent_path() / IOFS_SBINDIR_FROM_BINDIR).string(),
                  "; use --early-boot-program"));
}

KernelChoice output_names(const BuilderOptions& o) {
  KernelChoice k{o.kver, o.moddir, o.initramfs_name, o.image_name, {}};
  if (k.kver.empty()) {
    struct utsname u;
    ::uname(&u);
    k.kver = u.release;
  }
  if (k.initramfs_name.empty())  // as Debian's dracut names it, when standing in for it
    k.initramfs_name = o.dracut_wrapper ? "initrd.img-" + k.kver : "initramfs-" + k.kver + ".img";
  if (k.image_name.empty()) k.image_name = "initoverlayfs-" + k.kver + ".img";
  return k;
}

Result<KernelChoice> resolve_kernel(const BuilderOptions& o) {
  KernelChoice k = output_names(o);
  if (k.moddir.empty()) {
    for (std::string d : {"/lib/modules/" + k.kver, "/usr/lib/modules/" + k.kver})
      if (sys::exists(d)) { k.moddir = d; break; }
    if (k.moddir.empty())
      return fail("find modules of kernel", k.kver + ": no /lib/modules/" + k.kver + "; use --moddir");
  }
  k.program = TRY(find_early_boot_program(o.early_boot_program));
  Say{o.verbose}("kernel ", k.kver, ", modules from ", k.moddir, ", /init from ", k.program);
  for (const std::string& name : {k.initramfs_name, k.image_name}) {
    std::string path = o.output_dir + "/" + name;
    if (sys::exists(path) && !o.force)
      return fail("refusing to replace", path + " (use -f)");
  }
  if (!fs::is_directory(o.output_dir))
    return fail("output directory", o.output_dir + ": not a directory");
  return k;
}

}  // namespace iofs
