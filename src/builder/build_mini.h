// Pass 6: the mini initramfs, in its temporary file: the early-boot
// program, its config and the modules (mini_initramfs.h), or in systemd
// mode a dracut initramfs with systemd, udev and the program as a service
// (systemd_initramfs.h); with the image appended when the placement says so.
#pragma once

#include "builder/build.h"
#include "builder/options.h"
#include "builder/scratch.h"
#include "core/error.h"

namespace iofs {

// Writes build.outputs.mini_tmp.
Result<void> build_mini_initramfs(const BuilderOptions& o, const Build& build,
                                  const ScratchDir& scratch);

}  // namespace iofs
