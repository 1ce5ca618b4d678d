// Decompressing one compressed stream of an initramfs: libarchive's raw
// format with the one filter the stream's magic names (stream_framing.h),
// so a stream is unpacked exactly once, as the kernel would. Also how the
// pages of the input that were read are given back while it streams.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "builder/stream_framing.h"
#include "core/error.h"

namespace iofs {

// Decompresses the stream of format `c` at the start of `in`, which is
// byte `at` of the file (for errors); sets `consumed` to the number of
// input bytes libarchive used. Fails with op "unpack" and EFBIG once the
// output passes max_out bytes.
Result<std::string> decompress(const Compression& c, std::string_view in, size_t at,
                               size_t& consumed, uint64_t max_out = UINT64_MAX);

// Receives decompressed bytes in order, 1 MiB at most at a time.
using ChunkSink = std::function<Result<void>(std::string_view chunk)>;

// Like decompress, streaming: the output goes to `sink` as it comes,
// counted into `total` (bytes unpacked so far in the whole file), failing
// (op "unpack", EFBIG) once that passes max_total. Input is read 1 MiB at
// a time; when `release_file` is the mapping `in` lies in (see
// release_pages), what has been read is released behind it. Stops when a
// SIGINT/SIGTERM/SIGHUP has arrived (interrupt.h).
Result<void> decompress_into(const Compression& c, std::string_view in, size_t at,
                             size_t& consumed, const ChunkSink& sink, uint64_t& total,
                             uint64_t max_total, std::string_view release_file);

// Drops the pages of `file`, a read-only MAP_PRIVATE mapping of a file,
// before `upto` from the resident set (MADV_DONTNEED; touching them again
// reads the file). Only the pages wholly before `upto` go.
void release_pages(std::string_view file, size_t upto);

}  // namespace iofs
