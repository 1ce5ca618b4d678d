// read_elf_program promises never to read out of bounds, and an
// interpreter it reports lies inside the input. read_elf_header (a kernel
// module's machine, issue 17) reads the same bytes the same way: what one
// accepts, the other reads as the same machine.
#include "builder/elf_check.h"
#include "builder/target_arch.h"
#include "fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in = as_text(data, size);
  auto e = iofs::read_elf_program(in);
  if (e && e->interpreter) FUZZ_CHECK(e->interpreter->size() <= in.size());
  auto h = iofs::read_elf_header(in);
  if (e) FUZZ_CHECK(h && h->machine == e->machine && h->is_64bit == e->is_64bit);
  auto m = iofs::module_machine(in, "fuzz.ko");
  if (m) FUZZ_CHECK(h && h->type == 1 && m->elf_machine == h->machine);
  return 0;
}
