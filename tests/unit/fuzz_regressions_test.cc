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
#include "builder/stream_framing.h"
#include "init/systemd_bus.h"

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

// A D-Bus answer's fixed header: little-endian, the type, body and header
// field lengths.
std::string bus_header(uint8_t type, uint32_t body_len, uint32_t fields_len) {
  std::string h = "l"s + char(type) + '\1' + '\1';
  for (uint32_t v : {body_len, 5u, fields_len})
    for (int i = 0; i < 4; ++i) h += char(v >> (8 * i) & 0xff);
  return h;
}

// fuzz.systemd_bus: the start of the body, 16 + fields length rounded up
// to 8, was computed in 32 bits. A header fields length of 0xfffffff0
// wrapped it to 0, so the message seemed to end where it began and
// request_switch_root (PID 1) parsed the same bytes again, forever.
TEST(FuzzRegressions, BusAnswerWithHugeHeaderFieldsIsRefused) {
  ExactBuffer buf(bus_header(3, 0, 0xfffffff0u));
  auto m = parse_bus_frame(buf.view());
  ASSERT_FALSE(m.has_value()) << "ends at " << m->total;
  ExactBuffer wrapped_to_8(bus_header(3, 5, 0xfffffff8u) + "\0\0\0\0\0\0\0\0"s);
  EXPECT_FALSE(parse_bus_frame(wrapped_to_8.view()).has_value());
}

// What the framing is meant to give, so the test above cannot pass by
// refusing everything.
TEST(FuzzRegressions, BusAnswerFramingOfAnError) {
  std::string fields = "\5\1u\0\1\0\0\0"s;  // REPLY_SERIAL 1
  std::string body = "\x03\0\0\0why\0"s;
  ExactBuffer buf(bus_header(3, uint32_t(body.size()), uint32_t(fields.size())) + fields + body);
  auto m = parse_bus_frame(buf.view());
  ASSERT_TRUE(m.has_value()) << m.error().message();
  EXPECT_EQ(m->type, 3);
  EXPECT_EQ(m->body_at, 24u);
  EXPECT_EQ(m->total, 32u);
  EXPECT_EQ(bus_error_text(buf.view(), *m), "why");
}
