// split_initramfs: cpio archives and compressed streams (decompressed by
// libarchive) as the kernel reads an initramfs file.
#include "builder/initramfs_input.h"
#include "fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto parts = iofs::split_initramfs(as_text(data, size));
  if (parts) FUZZ_CHECK(parts->early.size() <= size);
  return 0;
}
