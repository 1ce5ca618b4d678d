// read_cpio promises never to read out of bounds and, on success, an end
// inside the input.
#include "builder/cpio.h"
#include "fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in = as_text(data, size);
  auto a = iofs::read_cpio(in);
  if (a) FUZZ_CHECK(a->end <= in.size());
  return 0;
}
