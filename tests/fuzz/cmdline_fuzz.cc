// The kernel command line, then the settings the program takes from it and
// applies to its config.
#include "core/cmdline.h"
#include "core/config.h"
#include "fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto params = iofs::parse_kernel_cmdline(as_text(data, size));
  auto settings = iofs::extract_settings(params);
  iofs::Config cfg;
  iofs::apply_cmdline_overrides(cfg, settings.overrides);
  // What the module loader takes from it: every option names a module.
  for (const auto& [module, option] : iofs::extract_module_cmdline(params).options)
    FUZZ_CHECK(!module.empty() && !option.empty());
  return 0;
}
