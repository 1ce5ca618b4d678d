// Loading the kernel modules of the load plan with finit_module(2).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/load_plan.h"

namespace iofs {

struct ModuleOutcome {
  int err = 0;         // 0 loaded (or already there); ECANCELED: a dependency failed
  int64_t load_ns = 0; // time spent in the load call
};

// Loads one module; returns 0 or an errno. The seam lets unit tests check
// the scheduling without a kernel.
using ModuleLoadFn = std::function<int(const PlannedModule&)>;

// Runs load for every module of the plan, each after all of its hard and
// soft dependencies were tried, independent ones concurrently on up to
// `workers` threads. A module whose hard dependency failed is not tried
// (ECANCELED); a failed soft dependency does not stop it.
std::vector<ModuleOutcome> load_plan_concurrently(
    const std::vector<PlannedModule>& plan, const ModuleLoadFn& load,
    unsigned workers);

// The real loader: finit_module of /lib/modules/KVER/PATH. Compressed
// modules (.xz, .zst, .gz) are passed as they are with
// MODULE_INIT_COMPRESSED_FILE so the kernel decompresses them
// (CONFIG_MODULE_DECOMPRESS). EEXIST counts as success.
int finit_module_file(const std::string& moddir, const PlannedModule& m);

}  // namespace iofs
