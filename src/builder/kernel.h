// Pass 1: which kernel the pair is for, where its modules are, the names
// of the two outputs, and the early-boot program to install as /init.
#pragma once

#include <string>

#include "builder/options.h"
#include "core/error.h"

namespace iofs {

struct KernelChoice {
  std::string kver;            // --kver, or the running kernel
  std::string moddir;          // --moddir, or /lib/modules/KVER, /usr/lib/modules/KVER
  std::string initramfs_name;  // the mini initramfs's file name in the output directory
  std::string image_name;      // the base of the image's (commit.h: it is written as BASE-ID.EXT)
  std::string program;         // the early-boot program
};

// The kernel version (--kver, else the running kernel's) and the two
// output names, with their defaults; moddir as given.
KernelChoice output_names(const BuilderOptions& o);

// Also refuses to replace existing outputs without -f, and an output
// directory that is not one.
Result<KernelChoice> resolve_kernel(const BuilderOptions& o);

// --early-boot-program, else the initoverlayfs beside us in a build tree
// or in the sbin installed with our bin.
Result<std::string> find_early_boot_program(const std::string& given);

}  // namespace iofs
