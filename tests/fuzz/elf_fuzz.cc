// read_elf_program promises never to read out of bounds, and an
// interpreter it reports lies inside the input.
#include "builder/elf_check.h"
#include "fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in = as_text(data, size);
  auto e = iofs::read_elf_program(in);
  if (e && e->interpreter) FUZZ_CHECK(e->interpreter->size() <= in.size());
  return 0;
}
