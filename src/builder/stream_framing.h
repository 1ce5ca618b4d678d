// The framing of the compressed streams in an initramfs: which format a
// stream is, recognised by its magic bytes as the kernel does
// (lib/decompress.c), and where it ends, so that the next cpio archive or
// stream can be found after it. Decompressing is decompress.h's; the
// sequence of archives and streams is initramfs_input.h's.
//
// libarchive, which decompresses, does not report where every stream ends:
// on zstd, xz, lz4 and lzop it fails on anything that follows the stream
// (even zero padding), so for those the length is read here from the
// format itself. For gzip, bzip2 and lzma it stops cleanly at the end of
// the stream, and the bytes it consumed tell where the next part starts.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.h"

namespace iofs {

enum class CompressionFormat { gzip, bzip2, lzma, xz, lzop, lz4, zstd };

struct Compression {
  // "gzip", "zstd", "xz", "lz4", "bzip2", "lzop" or "lzma".
  std::string_view name;
  std::string_view magic;
  CompressionFormat format;
  // Where the stream at the start of the argument ends; null when
  // decompression stops at the end of the stream itself.
  Result<size_t> (*length)(std::string_view);
};

// How errors name the stream of format `c` at byte `at` of the file:
// "zstd stream at byte 512".
std::string stream_name(const Compression& c, size_t at);

// The compressed stream at `pos` of `file`: its format and, for the
// formats whose end can be read from their framing, its bytes and length
// (else the rest of the file and 0: decompression finds the end).
struct FramedStream {
  const Compression* c;
  std::string_view bytes;
  size_t length;
};

// Fails (op "read initramfs") when no format's magic is at `pos`, and (op
// "decompress") when the stream is truncated or corrupt.
Result<FramedStream> frame_stream(std::string_view file, size_t pos);

// Where the zstd, xz, lz4 or lzop stream at the start of `stream` ends,
// read from the format (split_initramfs uses this; fuzzing calls it alone).
// Fails for other formats, and on a truncated or corrupt stream.
Result<size_t> compressed_stream_length(std::string_view stream);

// CRC-32 as gzip and xz use it (ISO 3309, reflected polynomial 0xEDB88320).
uint32_t crc32(std::string_view s);
// Continues a CRC-32: crc32_update(crc32_update(0, a), b) == crc32(a + b).
uint32_t crc32_update(uint32_t crc, std::string_view s);

// The 8-byte trailer of a gzip member (RFC 1952): the CRC-32 of the
// member's data and its length mod 2^32.
struct GzipTrailer {
  uint32_t crc;
  uint32_t size;
};

// The trailer that ends at byte `end` of the gzip stream `stream`; none
// when `end` cannot be the end of a gzip member in `stream` (truncated).
std::optional<GzipTrailer> gzip_trailer(std::string_view stream, size_t end);

}  // namespace iofs
