// What the passes of a build decided and made, in pass order: the later
// passes and the summary read it.
#pragma once

#include "builder/boot_target.h"
#include "builder/build_image.h"
#include "builder/commit.h"
#include "builder/input.h"
#include "builder/kernel.h"
#include "builder/module_policy.h"

namespace iofs {

struct Build {
  KernelChoice kernel;   // 1
  BootTarget target;     // 2
  InputTree input;       // 3
  ModuleChoice modules;  // 4
  OutputPaths outputs;   // the temporary and final names of the pair
  BuiltImage image;      // 5
};

}  // namespace iofs
