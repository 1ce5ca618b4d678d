#include "builder/target_arch.h"

#include <elf.h>

#include "builder/elf_check.h"
#include "core/strings.h"

namespace iofs {
namespace {

constexpr TargetArch kTargetArches[] = {
    {"x86_64", "amd64", "x86_64", {EM_X86_64, true, false}},
    {"arm64", "aarch64", "aarch64", {EM_AARCH64, true, false}},
};

// How to get a program for the target, for the error that there is none.
std::string how_to_get(const TargetMachine& t) {
  const TargetArch* arch = target_arch_of(t.machine);
  if (arch && arch->name == "arm64")
    return "build initoverlayfs with -DIOFS_ARM64=ON (needs g++-aarch64-linux-gnu) and "
           "cmake --install it, or give --early-boot-program PATH";
  if (arch) return str("install the initoverlayfs built for ", arch->name,
                       ", or give --early-boot-program PATH");
  return "give --early-boot-program PATH with a program built for it";
}

}  // namespace

std::span<const TargetArch> target_arches() { return kTargetArches; }

std::string target_arch_names() {
  std::string s;
  for (size_t i = 0; i < std::size(kTargetArches); ++i) {
    if (i) s += i + 1 == std::size(kTargetArches) ? " or " : ", ";
    s += kTargetArches[i].name;
  }
  return s;
}

const TargetArch* find_target_arch(std::string_view name) {
  for (const TargetArch& a : kTargetArches)
    if (name == a.name || name == a.alias) return &a;
  return nullptr;
}

const TargetArch* target_arch_of(const Machine& m) {
  for (const TargetArch& a : kTargetArches)
    if (a.machine == m) return &a;
  return nullptr;
}

std::string describe_machine(const Machine& m) {
  if (const TargetArch* a = target_arch_of(m))
    return str(a->name, " (", elf_machine_name(m.elf_machine), ")");
  return str("ELF machine ", m.elf_machine, " (", elf_machine_name(m.elf_machine), ", ",
             m.is_64bit ? "64-bit" : "32-bit", m.big_endian ? ", big-endian" : "", ")");
}

Result<Machine> module_machine(std::string_view object_head, const std::string& path) {
  auto h = read_elf_header(object_head);
  if (!h) return fail("read module", str(path, ": ", h.error().detail));
  if (h->type != ET_REL)
    return fail("read module", str(path, ": not a kernel module (ELF type ", h->type, ", not ET_REL)"));
  return Machine{h->machine, h->is_64bit, h->big_endian};
}

Result<Machine> program_machine(std::string_view program, const std::string& path) {
  auto p = read_elf_program(program);
  if (!p)
    return fail("early-boot program",
                str(path, ": not a program the kernel can run (", p.error().detail, ")"));
  return Machine{p->machine, p->is_64bit, p->big_endian};
}

Result<std::optional<TargetMachine>> resolve_target_machine(
    std::string_view arch_option, const std::optional<Machine>& modules_machine,
    const std::string& modules_source) {
  if (arch_option.empty()) {
    if (!modules_machine) return std::nullopt;
    return TargetMachine{*modules_machine, modules_source, false};
  }
  const TargetArch* arch = find_target_arch(arch_option);
  if (!arch)
    return fail("usage:", str("--arch takes ", target_arch_names(), ", not '", arch_option, "'"));
  if (modules_machine && *modules_machine != arch->machine)
    return fail("--arch", str(arch->name, ": ", modules_source, " are for ",
                              describe_machine(*modules_machine), "; a mini initramfs for ",
                              arch->name, " needs a kernel for ", arch->name));
  return TargetMachine{arch->machine, str("--arch ", arch->name), true};
}

Result<void> check_program_for_target(const Machine& program, const std::string& path,
                                      const TargetMachine& target) {
  if (program == target.machine) return {};
  return fail("refusing the early-boot program",
              str(path, ": it is for ", describe_machine(program), ", but ", target.source,
                  target.from_arch_option ? " asks for " : " are for ",
                  describe_machine(target.machine),
                  target.from_arch_option ? "" : ", whose kernel could not run it"));
}

Result<std::string> pick_early_boot_program(const TargetMachine& target,
                                            std::span<const ProgramCandidate> candidates) {
  std::string looked;
  for (const ProgramCandidate& c : candidates) {
    if (c.machine && *c.machine == target.machine) return c.path;
    looked += str(looked.empty() ? "" : ", ", c.path, " (",
                  c.machine ? str("for ", describe_machine(*c.machine))
                            : c.problem.empty() ? std::string("none") : c.problem,
                  ")");
  }
  return fail("find the early-boot program:",
              str("none for ", describe_machine(target.machine), " (", target.source,
                  "); looked at ", looked.empty() ? "nothing" : looked, "; ", how_to_get(target)));
}

}  // namespace iofs
