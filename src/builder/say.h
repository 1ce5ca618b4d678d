// -v: what the builder does, one line per step on stderr. The passes
// explain themselves through this and print nothing else; main reports
// errors and the summary.
#pragma once

#include <cstdio>

#include "core/strings.h"

namespace iofs {

struct Say {
  bool verbose = false;

  template <class... Args>
  void operator()(const Args&... args) const {
    if (verbose) std::fprintf(stderr, "initoverlayfs-install: %s\n", str(args...).c_str());
  }
};

}  // namespace iofs
