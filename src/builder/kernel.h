// Pass 1: which kernel the pair is for, where its modules are, the names
// of the two outputs, and the early-boot program to install as /init.
#pragma once

#include <optional>
#include <string>

#include "builder/options.h"
#include "builder/target_arch.h"
#include "core/error.h"

namespace iofs {

struct KernelChoice {
  std::string kver;            // --kver, or the running kernel
  std::string moddir;          // --moddir, or /lib/modules/KVER, /usr/lib/modules/KVER
  std::string initramfs_name;  // the mini initramfs's file name in the output directory
  std::string image_name;      // the base of the image's (commit.h: it is written as BASE-ID.EXT)
  std::string program;         // the early-boot program
  // The machine the pair is for (the modules', or --arch); nullopt: the
  // kernel has no modules and --arch was not given.
  std::optional<TargetMachine> target;
};

// The kernel version (--kver, else the running kernel's) and the two
// output names, with their defaults; moddir as given.
KernelChoice output_names(const BuilderOptions& o);

// Also refuses to replace existing outputs without -f, and an output
// directory that is not one.
Result<KernelChoice> resolve_kernel(const BuilderOptions& o);

// The machine of the kernel's modules: of the first module file by path
// under MODDIR/kernel (or MODDIR); nullopt when there is none. Sets
// *sample to the file read.
Result<std::optional<Machine>> kernel_modules_machine(const std::string& moddir,
                                                      std::string* sample = nullptr);

// --early-boot-program, refused if it is not for the target; else, for a
// known target, the first of LIBDIR/initoverlayfs/ARCH/initoverlayfs (where
// cmake --install puts a cross build), the build tree's ARCH-BUILD-DIR/
// initoverlayfs, the initoverlayfs in the sbin installed with our bin and
// the one beside us that is for the target machine (an error listing what
// each place held if none is); with no target, the one installed with us.
Result<std::string> find_early_boot_program(const std::string& given,
                                            const std::optional<TargetMachine>& target);

// Refuses what would fill the pair with this machine's programs when it is
// for another: --mode systemd, and no input (dracut or mkinitramfs run here).
Result<void> check_target_for_host_tools(const BuilderOptions& o, const TargetMachine& target);

}  // namespace iofs
