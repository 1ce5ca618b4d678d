// The EROFS superblock read from an image before it is mounted: whatever
// the bytes, a value within its promises or an error.
#include "core/erofs_superblock.h"
#include "fuzz.h"

#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Short inputs mostly fail the length check; put them at the superblock.
  std::string bytes(iofs::kErofsSuperblockOffset, '\0');
  bytes.append(as_text(data, size));
  for (std::string_view in : {as_text(data, size), std::string_view(bytes)}) {
    auto sb = iofs::parse_erofs_superblock(in);
    if (!sb) continue;
    FUZZ_CHECK(in.size() >= iofs::kErofsSuperblockEnd);
    FUZZ_CHECK(sb->blkszbits >= 9 && sb->blkszbits <= 16);
    FUZZ_CHECK(sb->blocks < (uint64_t{1} << 48));
    FUZZ_CHECK((sb->bytes() >> sb->blkszbits) == sb->blocks);
    FUZZ_CHECK(iofs::canonical_uuid(sb->uuid_string()) == sb->uuid_string());
  }
  (void)iofs::canonical_uuid(as_text(data, size));
  return 0;
}
