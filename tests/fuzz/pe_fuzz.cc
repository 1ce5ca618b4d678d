// read_pe (the headers of any .efi file on an ESP, builder/pe.h) never
// reads out of bounds, and the section data it hands out lies inside the
// input.
#include "builder/pe.h"
#include "fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in = as_text(data, size);
  auto pe = iofs::read_pe(in);
  if (!pe) return 0;
  FUZZ_CHECK(pe->section_alignment != 0 && (pe->section_alignment & (pe->section_alignment - 1)) == 0);
  (void)pe->end_vma();
  for (const iofs::PeSection& s : pe->sections) {
    auto d = iofs::pe_section_data(*pe, in, s.name);
    FUZZ_CHECK(d.has_value());
    FUZZ_CHECK(d->empty() || (d->data() >= in.data() && d->data() + d->size() <= in.data() + in.size()));
    // Of sections sharing a name, the first is the one handed out.
    FUZZ_CHECK(d->size() <= pe->section(s.name)->raw_size);
  }
  return 0;
}
