// Reading and writing "newc" cpio archives, the format of a Linux initramfs:
// per file a 110-byte ASCII-hex header ("070701"), the NUL-terminated name
// and the data, each padded to 4 bytes; a "TRAILER!!!" entry ends the
// archive. Details in cpio.cc; the specification is the kernel's
// Documentation/driver-api/early-userspace/buffer-format.rst.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace iofs {

struct CpioEntry {
  std::string name;  // as stored, e.g. "etc/initoverlayfs.conf" (no leading "/")
  uint32_t mode = 0;  // full st_mode: file type and permission bits
  uint32_t uid = 0, gid = 0, nlink = 1, mtime = 0, ino = 0;
  uint32_t devmajor = 0, devminor = 0, rdevmajor = 0, rdevminor = 0;
  std::string data;  // file contents, or symlink target
};

// Appends entries to `out` in newc format ("070701", check field 0).
// An entry whose ino is 0 gets the next of a sequence of inode numbers
// starting at 1, so the same entries always give the same bytes; give hard
// links an explicit (shared) ino that the sequence will not reach.
class CpioWriter {
 public:
  explicit CpioWriter(std::string& out);
  void add(const CpioEntry& e);
  // For data too large to hold in memory: the header of `e` (its data
  // ignored) for data_size bytes, which the caller writes after `out`;
  // then pad_data, for the zeros that follow them.
  void add_header(const CpioEntry& e, uint32_t data_size);
  void pad_data(uint32_t data_size);
  // Writes the TRAILER!!! entry; the archive ends 4-byte aligned.
  void finish();

 private:
  std::string& out_;
  uint32_t next_ino_ = 1;
};

struct CpioArchive {
  std::vector<CpioEntry> entries;  // without the trailer
  // Offset in the input just past the trailer and its padding; the padding
  // aligns to 4 bytes counted from the archive's start.
  size_t end = 0;
};

// Parses one archive starting at `offset`: magic 070701, or 070702 whose
// per-file checksums are verified. Fails (op "read cpio", detail naming the
// byte offset and the problem) on bad magic, bad hex digits, truncation,
// a name without its NUL or longer than 4096 bytes, a file size past the
// end of the input, or a missing TRAILER!!!. Never reads out of bounds.
Result<CpioArchive> read_cpio(std::string_view data, size_t offset = 0);

// The entries of every archive in `data` (archives separated by zero
// padding, as the kernel's unpacker reads a decompressed stream), in order;
// stops at the first archive that does not parse, as the kernel does.
std::vector<CpioEntry> cpio_entries(std::string_view data);

// One entry of an archive, for reading a stream entry by entry.
struct CpioEntryRead {
  CpioEntry entry;        // empty for the trailer
  std::string_view body;  // the entry's data, in the input
  bool trailer = false;   // TRAILER!!!: the archive ends at `end`
  size_t end = 0;         // offset just past the entry and its padding
};
enum class CpioRead {
  whole,    // `data` is all there is: a truncated entry is an error
  partial,  // more may follow: a truncated entry gives std::nullopt
};
enum class CpioData {
  copy,          // entry.data holds the data of every entry
  view_regular,  // not for regular files: their data is only in body
};
// Parses the entry at `offset`, which must be 4-aligned from the start of
// its archive, with the checks of read_cpio; byte offsets in errors are
// counted from `report_base` + the position in `data`.
Result<std::optional<CpioEntryRead>> read_cpio_entry(std::string_view data, size_t offset,
                                                     CpioRead mode, size_t report_base = 0,
                                                     CpioData copy = CpioData::copy);

}  // namespace iofs
