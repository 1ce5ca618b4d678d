// /etc/initoverlayfs.conf, then the config written back and read again: what
// the builder writes from a parsed config must parse without warnings.
#include "core/config.h"
#include "fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  iofs::Config cfg;
  std::vector<std::string> warnings;
  iofs::parse_config(as_text(data, size), cfg, warnings);
  if (cfg.verity.enabled) (void)iofs::verity_config_problem(cfg.verity);
  std::string text = iofs::format_config(cfg);
  iofs::Config again;
  std::vector<std::string> warnings_again;
  iofs::parse_config(text, again, warnings_again);
  return 0;
}
