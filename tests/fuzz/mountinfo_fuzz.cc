// /proc/self/mountinfo, and the walk up the mount tree that must stop on a
// garbled table's loops.
#include "core/mountinfo.h"
#include "fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto parents = iofs::parse_mount_parents(as_text(data, size));
  int n = 0;
  for (const auto& [id, parent] : parents) {
    (void)iofs::mount_is_within(parents, id, parent);
    (void)iofs::mount_is_within(parents, parent, id);
    if (++n == 64) break;
  }
  return 0;
}
