#include "builder/kernel.h"

#include <fcntl.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "builder/elf_check.h"
#include "builder/module_file.h"
#include "builder/say.h"
#include "core/strings.h"
#include "core/sys.h"

namespace fs = std::filesystem;

namespace iofs {
namespace {

constexpr size_t kMaxProgramBytes = 64 << 20, kMaxModuleBytes = 256 << 20;

fs::path own_directory() {
  std::error_code ec;
  fs::path self = fs::read_symlink("/proc/self/exe", ec);
  return ec ? fs::path() : self.parent_path();
}

// What is at `path`: nothing, something that is not a program the kernel
// can run, or a program for a machine.
ProgramCandidate look_at_program(const fs::path& path) {
  ProgramCandidate c{path.lexically_normal().string(), std::nullopt, ""};
  if (!sys::exists(c.path)) return c;
  if (!sys::is_executable(c.path)) {
    c.problem = "not executable";
    return c;
  }
  auto bytes = sys::read_file(c.path, kMaxProgramBytes);
  if (!bytes) {
    c.problem = bytes.error().message();
    return c;
  }
  auto m = program_machine(*bytes, c.path);
  if (m) c.machine = *m;
  else c.problem = m.error().detail.substr(c.path.size() + 2);  // without "PATH: "
  return c;
}

}  // namespace

Result<std::optional<Machine>> kernel_modules_machine(const std::string& moddir,
                                                      std::string* sample) {
  // One module stands for all (mini_initramfs.cc checks each that goes in):
  // the first by name, so that the choice does not depend on the order of
  // the directory. The walk does not follow the build and source links.
  const fs::path top = fs::is_directory(fs::path(moddir) / "kernel") ? fs::path(moddir) / "kernel"
                                                                      : fs::path(moddir);
  std::error_code ec;
  std::string first;
  for (fs::recursive_directory_iterator it(top, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string p = it->path().string();
    if (!(p.ends_with(".ko") || is_compressed_module(p)) || !it->is_regular_file(ec)) continue;
    if (first.empty() || p < first) first = p;
  }
  if (ec) return fail("read modules", str(top.string(), ": ", ec.message()));
  if (first.empty()) return std::nullopt;
  std::string data = TRY(sys::read_file(first, kMaxModuleBytes));
  std::string head = TRY(module_object_head(data, first));
  if (sample) *sample = first;
  return TRY(module_machine(head, first));
}

Result<std::string> find_early_boot_program(const std::string& given,
                                            const std::optional<TargetMachine>& target) {
  if (!given.empty()) {
    if (!sys::is_executable(given)) return fail("early-boot program", given + ": not an executable file");
    if (target) {
      std::string bytes = TRY(sys::read_file(given, kMaxProgramBytes));
      TRY(check_program_for_target(TRY(program_machine(bytes, given)), given, *target));
    }
    return given;
  }
  const fs::path self = own_directory();
  if (self.empty()) return fail("find own location", "/proc/self/exe");
  // Installed for the target (cmake --install puts cross builds there), in
  // a build tree, then the program installed with us (or beside us in a
  // build tree), which is for the machine it was built on.
  std::vector<fs::path> places;
  if (const TargetArch* arch = target ? target_arch_of(target->machine) : nullptr) {
    places.push_back(self / IOFS_LIBDIR_FROM_BINDIR / "initoverlayfs" / arch->name / "initoverlayfs");
    places.push_back(self / arch->build_dir / "initoverlayfs");
  }
  places.push_back(self / IOFS_SBINDIR_FROM_BINDIR / "initoverlayfs");
  places.push_back(self / "initoverlayfs");
  if (!target) {
    // Nothing to match (no modules, no --arch): the one installed with us.
    for (size_t i = places.size() - 2; i < places.size(); ++i)
      if (sys::is_executable(places[i].string())) return fs::weakly_canonical(places[i]).string();
    return fail("find the early-boot program",
                str("no initoverlayfs next to ", self.string(), " or in ",
                    places[places.size() - 2].parent_path().lexically_normal().string(),
                    "; use --early-boot-program"));
  }
  std::vector<ProgramCandidate> candidates;
  for (const fs::path& p : places) candidates.push_back(look_at_program(p));
  std::string found = TRY(pick_early_boot_program(*target, candidates));
  return fs::weakly_canonical(found).string();
}

KernelChoice output_names(const BuilderOptions& o) {
  KernelChoice k{o.kver, o.moddir, o.initramfs_name, o.image_name, {}, {}};
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
  std::string sample;
  const std::optional<Machine> modules = TRY(kernel_modules_machine(k.moddir, &sample));
  k.target = TRY(resolve_target_machine(o.arch, modules, str("the modules of ", k.kver, " in ", k.moddir)));
  Say say{o.verbose};
  if (modules) say("modules are for ", describe_machine(*modules), " (", sample, ")");
  if (k.target) TRY(check_target_for_host_tools(o, *k.target));
  k.program = TRY(find_early_boot_program(o.early_boot_program, k.target));
  say("kernel ", k.kver, ", modules from ", k.moddir, ", /init from ", k.program);
  for (const std::string& name : {k.initramfs_name, k.image_name}) {
    std::string path = o.output_dir + "/" + name;
    if (sys::exists(path) && !o.force)
      return fail("refusing to replace", path + " (use -f)");
  }
  if (!fs::is_directory(o.output_dir))
    return fail("output directory", o.output_dir + ": not a directory");
  return k;
}

Result<void> check_target_for_host_tools(const BuilderOptions& o, const TargetMachine& target) {
  // This program's own ELF header says what machine this is.
  auto self = sys::open("/proc/self/exe", O_RDONLY);
  if (!self) return {};
  char head[64];
  const ssize_t n = ::pread(self->get(), head, sizeof head, 0);
  auto elf = read_elf_header(std::string_view(head, n > 0 ? static_cast<size_t>(n) : 0));
  if (!elf) return {};
  const Machine host{elf->machine, elf->is_64bit, elf->big_endian};
  if (host == target.machine) return {};
  // dracut and mkinitramfs copy this machine's programs and libraries.
  const std::string why = str("this machine's programs, for ", describe_machine(host),
                              ", where ", target.source,
                              target.from_arch_option ? " asks for " : " are for ",
                              describe_machine(target.machine));
  if (o.boot_mode == BootMode::systemd)
    return fail("--mode systemd:", str("the mini initramfs would be made by this machine's "
                                       "dracut, with ", why));
  if (o.initramfs.empty() && o.rootdir.empty())
    return fail("no --initramfs or --rootdir:",
                str("dracut or mkinitramfs would make the image here, with ", why,
                    "; give the target's initramfs or root directory"));
  return {};
}

}  // namespace iofs
