// A kernel module file as the kernel packages ship it: an ELF relocatable
// object (.ko), or one compressed whole with xz, zstd or gzip (.ko.xz,
// .ko.zst, .ko.gz; CONFIG_MODULE_COMPRESS_*), which finit_module()
// decompresses itself with MODULE_INIT_COMPRESSED_FILE.
#pragma once

#include <cstddef>
#include <limits>
#include <string>
#include <string_view>

#include "core/error.h"

namespace iofs {

bool is_compressed_module(std::string_view path);

// The first `max_bytes` bytes (all, by default) of a compressed module's
// contents, with libarchive's decompressors; `path` names it in the error.
// Pure: works on the bytes given.
Result<std::string> decompress_module(std::string_view data, const std::string& path,
                                      size_t max_bytes = std::numeric_limits<size_t>::max());

// The start of a module's ELF object (its first `bytes`), decompressed
// when the file is: enough for the ELF header.
Result<std::string> module_object_head(std::string_view data, const std::string& path,
                                       size_t bytes = 64);

}  // namespace iofs
