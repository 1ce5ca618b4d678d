// What the builder prints on stdout when the pair is in place.
#pragma once

#include "builder/build.h"
#include "builder/options.h"

namespace iofs {

void print_summary(const BuilderOptions& o, const Build& build, double seconds);

}  // namespace iofs
