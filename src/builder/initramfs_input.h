// Reading a distribution's initramfs: splitting the file into its cpio
// archives the way the kernel does, and unpacking them into a directory.
// The compressed streams are framed by stream_framing.h and decompressed by
// decompress.h; archives are extracted by cpio_extract.h.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "builder/cpio_extract.h"
#include "core/error.h"

namespace iofs {

struct InitramfsParts {
  // The uncompressed cpio archives at the start of the file that the kernel
  // reads early (every entry under kernel/: CPU microcode, ACPI tables),
  // byte for byte, including the zero padding up to where the compressed
  // part starts; the mini initramfs starts with exactly these bytes. When
  // nothing in the file is compressed, the last archive is the main one and
  // the archives before it are early. Uncompressed archives in front that
  // hold anything else (Debian 13's initramfs-tools puts the already
  // compressed modules there) are left out, and then so is the padding:
  // the early archives follow one another.
  std::string early;
  // Every cpio archive stream of the file in order, decompressed, early ones
  // included: one string per uncompressed archive and one per compressed
  // stream (which may hold several concatenated archives). Each can be
  // passed to extract_cpio.
  std::vector<std::string> archives;
  // Of the (first) compressed stream: "gzip", "zstd", "xz", "lz4", "bzip2",
  // "lzop", "lzma", or "none".
  std::string compression;
};

// Splits an initramfs as the kernel's unpack_to_rootfs() reads it: cpio
// archives, each uncompressed or compressed, separated by zero padding.
Result<InitramfsParts> split_initramfs(std::string_view file_bytes);

// split_initramfs, failing (EFBIG) once the archives hold more than
// max_unpacked bytes in all, before the memory runs out.
Result<InitramfsParts> split_initramfs(std::string_view file_bytes, uint64_t max_unpacked);

struct UnpackOptions {
  // Past this many bytes of cpio archives in all (decompressed), fail with
  // op "unpack" and errno EFBIG; nothing more is written.
  uint64_t max_unpacked = UINT64_MAX;
  // An entry of this name (with or without a leading "/") sets
  // UnpackedInitramfs::has_marker.
  std::string marker;
  // file_bytes is a read-only MAP_PRIVATE mapping of a file: pages already
  // read are dropped (MADV_DONTNEED; touching them again reads the file),
  // so the resident set does not grow with the input. Never for memory
  // that is not such a mapping: its contents would be lost.
  bool release_input = false;
};

struct UnpackedInitramfs {
  std::string early;        // as InitramfsParts::early
  std::string compression;  // as InitramfsParts::compression
  ExtractStats stats;
  uint64_t unpacked_bytes = 0;  // cpio bytes, decompressed
  bool has_marker = false;
};

// split_initramfs and extract_cpio of every archive in one pass, streaming:
// each stream is decompressed 1 MiB at a time and its entries are written
// into `dir` as they complete, so memory holds one chunk and the largest
// entry, never the unpacked archive. Stops at the limit, and when a
// SIGINT/SIGTERM/SIGHUP has arrived (interrupt.h). On failure `dir` holds
// whatever was written so far; the caller removes it.
Result<UnpackedInitramfs> unpack_initramfs(std::string_view file_bytes, const std::string& dir,
                                           const UnpackOptions& options);

}  // namespace iofs
