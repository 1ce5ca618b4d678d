// The module load plan. The early-boot program indexes the plan with every
// dependency, so a parsed plan must only name earlier modules, and must
// survive being written back.
#include "core/load_plan.h"
#include "fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto plan = iofs::parse_load_plan(as_text(data, size));
  if (!plan) return 0;
  for (size_t i = 0; i < plan->size(); ++i) {
    for (size_t d : (*plan)[i].deps) FUZZ_CHECK(d < i);
    for (size_t d : (*plan)[i].after) FUZZ_CHECK(d < i);
    (void)iofs::matches_device((*plan)[i], "virtio:d00000002v00001AF4");
    (void)iofs::module_name((*plan)[i].path);
  }
  auto again = iofs::parse_load_plan(iofs::format_load_plan(*plan));
  FUZZ_CHECK(again && again->size() == plan->size());
  // Options and blacklist marks survive the trip (quotes, spaces, tabs).
  for (size_t i = 0; i < plan->size(); ++i) {
    FUZZ_CHECK((*again)[i].options == (*plan)[i].options);
    FUZZ_CHECK((*again)[i].blacklisted == (*plan)[i].blacklisted);
  }
  iofs::apply_module_cmdline(*plan, iofs::extract_module_cmdline(iofs::parse_kernel_cmdline(
                                        "a.b=1 modprobe.blacklist=a,b")));
  return 0;
}
