// What `veritysetup format` prints.
#include "builder/verity.h"
#include "fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  (void)iofs::parse_veritysetup_format(as_text(data, size));
  return 0;
}
