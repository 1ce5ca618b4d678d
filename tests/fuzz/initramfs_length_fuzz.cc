// The length finders of zstd, xz, lz4 and lzop streams. The first byte picks
// the format whose magic is put in front of the rest, so every input reaches
// a finder; a length must never lie past the end of the stream.
#include <string>

#include "builder/stream_framing.h"
#include "fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  static const std::string_view magics[] = {
      "\x28\xb5\x2f\xfd", "\xfd\x37\x7a\x58\x5a\x00", "\x02\x21\x4c\x18",
      "\x89\x4c\x5a\x4f"};
  std::string_view magic = magics[data[0] % 4];
  // An exact-size heap copy: a read past the stream is an ASan report.
  std::string_view rest = as_text(data + 1, size - 1);
  size_t n = magic.size() + rest.size();
  char* stream = new char[n];
  magic.copy(stream, magic.size());
  rest.copy(stream + magic.size(), rest.size());
  auto r = iofs::compressed_stream_length({stream, n});
  if (r) FUZZ_CHECK(*r <= n);
  delete[] stream;
  return 0;
}
