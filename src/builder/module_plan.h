// Pass 4: the modules for the mini initramfs. Reads what the policy
// (module_policy.h) looks at: the kernel's module index and modules.alias,
// the input's modprobe.d (modprobe_config.h) and, with --hostonly, the boot
// filesystem's device in sysfs.
#pragma once

#include "builder/boot_target.h"
#include "builder/input.h"
#include "builder/kernel.h"
#include "builder/module_policy.h"
#include "builder/options.h"
#include "core/error.h"

namespace iofs {

// Fails when a module --drivers names is not there. The choice's warnings
// are the caller's to print.
Result<ModuleChoice> plan_modules(const BuilderOptions& o, const KernelChoice& kernel,
                                  const BootTarget& target, const InputTree& input);

}  // namespace iofs
