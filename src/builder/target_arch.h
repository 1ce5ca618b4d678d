// Which machine a mini initramfs is for, and which early-boot program fits.
//
// A mini initramfs carries two kinds of ELF files: the kernel's modules
// (ET_REL objects, which the kernel loads only if built for itself) and the
// early-boot program (a static executable, which it runs only if its
// e_machine and class are the kernel's). A builder on an x86-64 build server
// makes pairs for arm64 boards, so the program is not necessarily the one
// the builder was installed with: the target machine is read from the
// modules' ELF headers (System V gABI "ELF Header": e_ident[EI_CLASS],
// e_ident[EI_DATA], e_machine), or named with --arch, and the program must
// be for it.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/error.h"

namespace iofs {

// An ELF target: what e_machine, EI_CLASS and EI_DATA say together.
struct Machine {
  uint16_t elf_machine = 0;
  bool is_64bit = true;
  bool big_endian = false;
  friend bool operator==(const Machine&, const Machine&) = default;
};

// The architectures the project builds an early-boot program for.
struct TargetArch {
  std::string_view name;       // --arch, and LIBDIR/initoverlayfs/NAME/ where cmake --install puts it
  std::string_view alias;      // also taken by --arch: Debian's or the kernel's name for it
  std::string_view build_dir;  // the build tree's subdirectory of a cross build (the GNU name)
  Machine machine;
};
std::span<const TargetArch> target_arches();
// "x86_64 or arm64"
std::string target_arch_names();
const TargetArch* find_target_arch(std::string_view name);
const TargetArch* target_arch_of(const Machine& m);

// "arm64 (AArch64)", or "ELF machine 243 (RISC-V, 64-bit)" for one the
// project does not build for.
std::string describe_machine(const Machine& m);

// The machine of a module from the start of its (decompressed) object;
// refuses anything that is not an ELF relocatable file. `path` names it.
Result<Machine> module_machine(std::string_view object_head, const std::string& path);

// The machine of an executable; refuses anything the kernel could not run.
Result<Machine> program_machine(std::string_view program, const std::string& path);

// What the pair is for: --arch (empty: not given) and the machine of the
// kernel's modules (nullopt: there are none), `modules_source` saying where
// they are ("the modules of KVER in DIR"). --arch and the modules must
// agree; with neither, nullopt (nothing to check the program against).
struct TargetMachine {
  Machine machine;
  std::string source;  // "--arch arm64" or the modules' source, for messages
  bool from_arch_option = false;
};
Result<std::optional<TargetMachine>> resolve_target_machine(
    std::string_view arch_option, const std::optional<Machine>& modules_machine,
    const std::string& modules_source);

// Refuses a program (at `path`, of machine `program`) that is not for the
// target.
Result<void> check_program_for_target(const Machine& program, const std::string& path,
                                      const TargetMachine& target);

// A place the builder looks for the early-boot program, with what it found
// there: nullopt when nothing is there; `problem` when the file is not a
// program the kernel can run.
struct ProgramCandidate {
  std::string path;
  std::optional<Machine> machine;
  std::string problem;
};

// The first candidate for the target; an error naming the target and every
// place looked, with what each held. Pure.
Result<std::string> pick_early_boot_program(const TargetMachine& target,
                                            std::span<const ProgramCandidate> candidates);

}  // namespace iofs
