// The builder's host defaults, /etc/initoverlayfs/install.conf.
#include "builder/host_config.h"
#include "fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  (void)iofs::parse_host_config(as_text(data, size), "install.conf");
  return 0;
}
