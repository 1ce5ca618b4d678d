// How each compressed stream of an initramfs is framed (stream_framing.h):
//   gzip, bzip2, lzma  libarchive finds the end (bytes consumed)
//   zstd               frames (and skippable frames) back to back; libzstd
//                      reads each frame's size (RFC 8878)
//   xz                 a 12-byte stream footer (xz-file-format.txt)
//   lz4                the legacy frame: blocks until a size no block has
//   lzop               a header, then blocks until a size of 0 (lzop 1.04)
#include "builder/stream_framing.h"

#include <zstd.h>

#include <array>

#include "core/strings.h"

namespace iofs {
namespace {

using namespace std::literals;

uint32_t le32(std::string_view s, size_t at) {
  auto b = [&](size_t i) { return uint32_t(uint8_t(s[at + i])); };
  return b(0) | b(1) << 8 | b(2) << 16 | b(3) << 24;
}

constexpr std::array<uint32_t, 256> kCrc32Table = [] {
  std::array<uint32_t, 256> t{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = c >> 1 ^ (0xEDB88320u & -(c & 1));
    t[i] = c;
  }
  return t;
}();

// The length functions below report only the problem; the caller adds
// which stream it is.
std::unexpected<Error> corrupt(std::string problem) {
  return fail("decompress", std::move(problem));
}

// Consecutive zstd frames (and skippable frames) form one stream.
Result<size_t> zstd_length(std::string_view s) {
  size_t pos = 0;
  while (s.size() - pos >= 4) {
    uint32_t magic = le32(s, pos);
    if (magic != ZSTD_MAGICNUMBER &&
        (magic & ZSTD_MAGIC_SKIPPABLE_MASK) != ZSTD_MAGIC_SKIPPABLE_START)
      break;
    size_t n = ZSTD_findFrameCompressedSize(s.data() + pos, s.size() - pos);
    if (ZSTD_isError(n))
      return corrupt(str("frame at +", pos, " truncated or corrupt: ", ZSTD_getErrorName(n)));
    pos += n;
  }
  return pos;
}

// An xz stream ends with a 12-byte footer: CRC32 of the next 6 bytes,
// backward size, the header's stream flags, "YZ". Streams are a multiple of
// 4 bytes long (tukaani.org/xz/xz-file-format.txt).
Result<size_t> xz_length(std::string_view s) {
  if (s.size() < 12) return corrupt("truncated header");
  std::string_view flags = s.substr(6, 2);
  for (size_t end = 24; end <= s.size(); end += 4) {
    if (s.substr(end - 2, 2) == "YZ" && s.substr(end - 4, 2) == flags &&
        le32(s, end - 12) == crc32(s.substr(end - 8, 6)))
      return end;
  }
  return corrupt("no stream footer (truncated?)");
}

// The lz4 legacy frame: magic, then blocks of <le32 size><data>, each
// decompressing to at most 8 MiB. It has no end marker: like the kernel's
// unlz4, stop at a size of 0 (zero padding) or one no block can have (the
// start of a cpio archive); the magic again starts another frame.
Result<size_t> lz4_length(std::string_view s) {
  constexpr uint32_t kLegacyMagic = 0x184C2102;
  constexpr uint32_t kMaxBlock = (8u << 20) + (8u << 20) / 255 + 16;
  size_t pos = 4;
  while (s.size() - pos >= 4) {
    uint32_t n = le32(s, pos);
    if (n == kLegacyMagic) {
      pos += 4;
      continue;
    }
    if (n == 0 || n > kMaxBlock) break;
    if (s.size() - pos - 4 < n)
      return corrupt(str("block at +", pos, " truncated"));
    pos += 4 + n;
  }
  return pos;
}

// lzop: a header, then blocks <be32 size> <be32 compressed size>
// <checksums> <data>, ended by a size of 0 (format as written by lzop 1.04).
Result<size_t> lzop_length(std::string_view s) {
  // The stream is recognised by 4 of its 9 magic bytes: without the other
  // 5, `s.size() - pos` below would wrap around and pass every check.
  if (s.size() < 9) return corrupt("truncated header");
  size_t pos = 9;  // magic
  bool ok = true;
  auto skip = [&](size_t n) {
    if (s.size() - pos < n) ok = false;
    else pos += n;
  };
  auto be = [&](size_t n) -> uint32_t {
    if (!ok || s.size() - pos < n) {
      ok = false;
      return 0;
    }
    uint32_t v = 0;
    for (size_t i = 0; i < n; ++i) v = v << 8 | uint8_t(s[pos + i]);
    pos += n;
    return v;
  };
  constexpr uint32_t kAdler32D = 0x1, kAdler32C = 0x2, kExtraField = 0x40,
                     kCrc32D = 0x100, kCrc32C = 0x200, kFilter = 0x800;
  uint32_t version = be(2);
  skip(2);                           // library version
  if (version >= 0x0940) skip(2);    // version needed to extract
  skip(1);                           // method
  if (version >= 0x0940) skip(1);    // level
  uint32_t flags = be(4);
  if (flags & kFilter) skip(4);
  skip(8);                           // mode, mtime
  if (version >= 0x0940) skip(4);    // mtime high
  skip(be(1));                       // name
  skip(4);                           // header checksum
  if (flags & kExtraField) {
    skip(be(4));
    skip(4);
  }
  while (ok) {
    uint32_t size = be(4);
    if (!ok) break;
    if (size == 0) return pos;
    uint32_t compressed = be(4);
    int sums = !!(flags & kAdler32D) + !!(flags & kCrc32D);
    if (compressed < size) sums += !!(flags & kAdler32C) + !!(flags & kCrc32C);
    skip(4 * sums);
    skip(compressed);
  }
  return corrupt("truncated");
}

// The kernel's table (lib/decompress.c). gzip's alternative magic 1f 9e is
// left out: the kernel's inflate rejects it too.
const Compression kCompressions[] = {
    {"gzip", "\x1f\x8b"sv, CompressionFormat::gzip, nullptr},
    {"bzip2", "BZh"sv, CompressionFormat::bzip2, nullptr},
    {"lzma", "\x5d\x00\x00"sv, CompressionFormat::lzma, nullptr},
    {"xz", "\xfd\x37\x7a\x58\x5a\x00"sv, CompressionFormat::xz, xz_length},
    {"lzop", "\x89\x4c\x5a\x4f"sv, CompressionFormat::lzop, lzop_length},
    {"lz4", "\x02\x21\x4c\x18"sv, CompressionFormat::lz4, lz4_length},
    {"zstd", "\x28\xb5\x2f\xfd"sv, CompressionFormat::zstd, zstd_length},
};

const Compression* detect(std::string_view s) {
  for (const Compression& c : kCompressions)
    if (s.starts_with(c.magic)) return &c;
  return nullptr;
}

}  // namespace

std::string stream_name(const Compression& c, size_t at) {
  return str(c.name, " stream at byte ", at);
}

uint32_t crc32_update(uint32_t crc, std::string_view s) {
  crc = ~crc;
  for (unsigned char c : s) crc = crc >> 8 ^ kCrc32Table[(crc ^ c) & 0xff];
  return ~crc;
}

uint32_t crc32(std::string_view s) { return crc32_update(0, s); }

std::optional<GzipTrailer> gzip_trailer(std::string_view stream, size_t end) {
  // A member is at least its 10-byte header and the trailer.
  if (end < 18 || end > stream.size()) return std::nullopt;
  return GzipTrailer{le32(stream, end - 8), le32(stream, end - 4)};
}

Result<FramedStream> frame_stream(std::string_view file, size_t pos) {
  const Compression* c = detect(file.substr(pos));
  if (!c)
    return fail("read initramfs",
                str("at byte ", pos,
                    ": neither a cpio archive nor a compressed stream the "
                    "kernel knows"));
  std::string_view rest = file.substr(pos);
  if (!c->length) return FramedStream{c, rest, 0};
  auto found = c->length(rest);
  if (!found)
    return fail("decompress", str(stream_name(*c, pos), ": ", found.error().detail));
  return FramedStream{c, rest.substr(0, *found), *found};
}

Result<size_t> compressed_stream_length(std::string_view stream) {
  const Compression* c = detect(stream);
  if (!c || !c->length)
    return fail("decompress", "no length finder for this stream's format");
  return c->length(stream);
}

}  // namespace iofs
