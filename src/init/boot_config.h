// Step 2 of both modes: /etc/initoverlayfs.conf, then initoverlayfs.* on
// the kernel command line (the verity settings locked, see config.h).
#pragma once

#include <string>

#include "core/cmdline.h"
#include "core/config.h"
#include "core/error.h"

namespace iofs {

inline constexpr const char* kConfigPath = "/etc/initoverlayfs.conf";

// Fills cfg and logs every warning; sets *rdinit from rdinit= and
// *modules from the module words (MODULE.PARAM=VALUE, modprobe.blacklist=)
// when given, so that the command line is read once. Only what makes a
// boot impossible is an error: no boot filesystem, no image, incomplete
// verity settings.
Result<void> read_boot_config(Config& cfg, std::string* rdinit = nullptr,
                              ModuleCmdline* modules = nullptr);

}  // namespace iofs
