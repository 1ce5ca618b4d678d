// One test per bug the fuzz targets (tests/fuzz) found or were written to
// catch, each written before its fix. Inputs live in exactly sized heap
// buffers, so a read past the end is a heap-buffer-overflow under
// AddressSanitizer (ctest -L sanitize) and not a read of a std::string's
// spare capacity.
#include <cstring>
#include <memory>
#include <string>
#include <string_view>

#include <gtest/gtest.h>

#include "builder/cpio.h"
#include "builder/initramfs_input.h"

using namespace iofs;
using namespace std::literals;

namespace {

// A heap copy of `bytes` with nothing after it.
class ExactBuffer {
 public:
  explicit ExactBuffer(std::string_view bytes)
      : size_(bytes.size()), data_(new char[bytes.size()]) {
    std::memcpy(data_.get(), bytes.data(), bytes.size());
  }
  std::string_view view() const { return {data_.get(), size_}; }

 private:
  size_t size_;
  std::unique_ptr<char[]> data_;
};

std::string empty_cpio() {
  std::string out;
  CpioWriter w(out);
  w.finish();
  return out;
}

}  // namespace

// lzop_length started reading at byte 9 while the magic is 4 bytes, so for
// a 4 to 8 byte stream `size - pos` wrapped around and every bounds check
// passed: it read past the buffer and could report a length past the end.
TEST(FuzzRegressions, LzopStreamShorterThanItsHeaderIsTruncated) {
  for (size_t tail = 0; tail <= 8; ++tail) {
    std::string bytes = "\x89LZO"s + std::string(tail, '\0');
    ExactBuffer buf(bytes);
    auto r = compressed_stream_length(buf.view());
    ASSERT_FALSE(r.has_value()) << bytes.size() << " bytes: length " << *r;
    EXPECT_NE(r.error().detail.find("truncated"), std::string::npos)
        << r.error().detail;
  }
}

// The same through split_initramfs: a short lzop tail after a cpio archive.
TEST(FuzzRegressions, InitramfsEndingInShortLzopTailIsRefused) {
  std::string file = empty_cpio() + "\x89LZO\x10\x30"s;
  ExactBuffer buf(file);
  auto r = split_initramfs(buf.view());
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().detail.find("lzop"), std::string::npos) << r.error().detail;
}
