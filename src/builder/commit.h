// Putting the pair into place: both are made under temporary names beside
// their final ones (OutputTemps, scratch.h), synced, and renamed in an
// order that leaves a bootable pair at every moment, with signals held so
// that the renames are never left half done.
#pragma once

#include <string>

#include "builder/boot_target.h"
#include "builder/kernel.h"
#include "builder/options.h"
#include "builder/scratch.h"
#include "core/error.h"

namespace iofs {

struct OutputPaths {
  std::string image_tmp, mini_tmp;      // what the passes write
  std::string image_final, mini_final;  // what commit_outputs renames them to
};

// Removes the temporary files of builders that died, then makes ours.
Result<OutputPaths> create_outputs(OutputTemps& temps, const BuilderOptions& o,
                                   const KernelChoice& kernel);

// fsync(2) of a finished output, before it is renamed.
Result<void> sync_output(const std::string& path);

// The renames (the image first), the directory's fsync, then
// --write-partition.
Result<void> commit_outputs(OutputTemps& temps, const OutputPaths& out, const BuilderOptions& o,
                            const BootTarget& target);

}  // namespace iofs
