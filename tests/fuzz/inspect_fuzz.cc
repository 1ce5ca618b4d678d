// initoverlayfs-install --inspect: a mini initramfs from /boot (cpio and
// compressed streams, its configuration, load plan and program), and the
// check of the image it holds against that configuration.
#include "builder/inspect.h"
#include "fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto in = iofs::inspect_mini_initramfs(as_text(data, size));
  if (!in) return 0;
  FUZZ_CHECK(in->early_bytes <= size);
  if (in->has_appended_image) {
    auto v = iofs::check_image(in->config, in->appended_image, in->appended_image.size());
    FUZZ_CHECK(v.ok == v.problem.empty());
  }
  // The whole input as an image under the configuration it gave.
  auto v = iofs::check_image(in->config, as_text(data, size), size);
  FUZZ_CHECK(v.ok == v.problem.empty());
  return 0;
}
