// How much an input initramfs may unpack to (--max-unpacked-size). A few
// KB of zstd or gzip can stand for gigabytes of zeros; past the limit the
// builder stops and refuses the input instead of filling the scratch
// filesystem (or, before the extraction streamed, the memory).
//
// The default is the space the scratch filesystem has free when the build
// starts, but at most kMaxUnpackedCeiling: no real initramfs comes near
// 8 GiB (a generic dracut one with all firmware is about 1 GiB unpacked).
// Pure code: sizes in, sizes out.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/error.h"

namespace iofs {

inline constexpr uint64_t kMaxUnpackedCeiling = uint64_t{8} << 30;

// "4096", "512K", "64M", "8G", "1T" (binary multiples; an optional "iB" or
// "B" after the letter, any case). Not 0, no fractions, no overflow.
Result<uint64_t> parse_size(std::string_view text);

// "64 MiB" when exact, else "67108865 bytes".
std::string format_size(uint64_t bytes);

// The limit when --max-unpacked-size is not given.
uint64_t default_max_unpacked(uint64_t scratch_available);

}  // namespace iofs
