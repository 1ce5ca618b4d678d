// An initramfs file, as the kernel reads it (init/initramfs.c,
// unpack_to_rootfs(); Documentation/driver-api/early-userspace/
// buffer-format.rst), is a sequence of cpio archives separated by zero
// bytes. Each is either an uncompressed newc archive, which must start at a
// 4-byte aligned offset, or a compressed stream recognised by its magic
// bytes (lib/decompress.c) holding one or more archives. Distributions put
// the CPU microcode first as an uncompressed "early" archive, because the
// kernel's microcode loader only looks there
// (Documentation/arch/x86/microcode.rst), followed by the compressed main
// archive.
//
// Not every uncompressed archive in front is early, though: Debian 13's
// initramfs-tools (0.148) stores the files that are compressed already
// (the kernel's *.ko.xz modules, *.zst firmware) in an uncompressed archive
// of their own between the microcode and the main archive. Only archives
// whose every entry lies under kernel/ are what the kernel reads before
// unpacking (microcode in kernel/x86/microcode/, ACPI table overrides in
// kernel/firmware/acpi/, Documentation/admin-guide/acpi/
// initrd_table_override.rst); the mini initramfs keeps those, and every
// archive's files go into the image.
#include "builder/initramfs_input.h"

#include <fcntl.h>

#include <optional>

#include "builder/cpio.h"
#include "builder/decompress.h"
#include "builder/interrupt.h"
#include "builder/stream_framing.h"
#include "core/strings.h"
#include "core/sys.h"
#include "core/unique_fd.h"

namespace iofs {
namespace {

// Feeds the bytes of one decompressed stream (several archives separated
// by zero padding, as extract_cpio reads them) to an Extractor, keeping
// only the incomplete entry at the end between chunks.
class StreamExtractor {
 public:
  StreamExtractor(Extractor& x, const std::string& marker) : x_(x), marker_(marker) {}

  Result<void> feed(std::string_view chunk) {
    if (carry_.empty()) {
      size_t used = TRY(parse(chunk, CpioRead::partial));
      carry_.assign(chunk.substr(used));
      pos_ += used;
      return {};
    }
    carry_.append(chunk);
    size_t used = TRY(parse(carry_, CpioRead::partial));
    carry_.erase(0, used);
    pos_ += used;
    return {};
  }

  // The stream's end: what is left must be whole entries or zeros.
  Result<void> end_stream() {
    TRY(parse(carry_, CpioRead::whole));
    if (!any_) return fail("read cpio", "no archive in the input");
    carry_.clear();
    pos_ = 0;
    any_ = false;
    return {};
  }

  // One uncompressed archive at `at` of `file`; returns where it ends.
  Result<size_t> archive_at(std::string_view file, size_t at) {
    size_t pos = at;
    for (;;) {
      auto r = TRY(read_cpio_entry(file, pos, CpioRead::whole, 0, CpioData::view_regular));
      if (!r) return fail("read cpio", str("at byte ", pos, ": truncated"));
      pos = r->end;
      if (r->trailer) break;
      TRY(add(r->entry, r->body));
    }
    x_.end_archive();
    return pos;
  }

  bool has_marker = false;

 private:
  Result<void> add(const CpioEntry& e, std::string_view body) {
    if (e.name == marker_ || (e.name.starts_with('/') && std::string_view(e.name).substr(1) == marker_))
      has_marker = !marker_.empty();
    if (++entries_ % 64 == 0) TRY(check_interrupted());
    return x_.add(e, body);
  }

  // Extracts the complete entries at the start of `data` (which starts at
  // pos_ in the stream); returns how many bytes they took.
  Result<size_t> parse(std::string_view data, CpioRead mode) {
    size_t pos = 0;
    for (;;) {
      if (!in_archive_) {
        while (pos < data.size() && data[pos] == '\0') ++pos;
        if (pos == data.size()) return pos;
        if ((pos_ + pos) % 4 != 0)
          return fail("read cpio", str("at byte ", pos_ + pos,
                                       ": data after the trailer is neither zero "
                                       "padding nor an aligned archive"));
        in_archive_ = true;
      }
      auto r = TRY(read_cpio_entry(data, pos, mode, pos_, CpioData::view_regular));
      if (!r) return pos;  // the rest of this entry is still to come
      pos = r->end;
      if (r->trailer) {
        x_.end_archive();
        in_archive_ = false;
        any_ = true;
        continue;
      }
      TRY(add(r->entry, r->body));
    }
  }

  Extractor& x_;
  const std::string& marker_;
  std::string carry_;
  uint64_t pos_ = 0;  // offset in the stream of carry_ (or the chunk)
  bool in_archive_ = false, any_ = false;
  uint64_t entries_ = 0;
};

// Whether every entry of the uncompressed archive at `at` is under kernel/
// (or is the archive's root directory).
Result<bool> is_early_load_archive(std::string_view file, size_t at) {
  size_t pos = at;
  for (;;) {
    auto r = TRY(read_cpio_entry(file, pos, CpioRead::whole, 0, CpioData::view_regular));
    if (!r) return fail("read cpio", str("at byte ", pos, ": truncated"));
    if (r->trailer) return true;
    std::string_view name = r->entry.name;
    while (name.starts_with("./")) name.remove_prefix(2);
    while (name.starts_with('/')) name.remove_prefix(1);
    if (!(name.empty() || name == "." || name == "kernel" || name.starts_with("kernel/"))) return false;
    pos = r->end;
  }
}

// The uncompressed archives before the first compressed stream, and which
// of them the mini initramfs keeps in front (see the top of the file).
class EarlyArchives {
 public:
  Result<void> add(std::string_view file, size_t at, size_t end) {
    spans_.push_back({at, end, TRY(is_early_load_archive(file, at))});
    return {};
  }
  // The bytes to keep: with no compressed stream the last archive is the
  // main one. All of them early: the file's bytes up to the main part, zero
  // padding included; else the early-load archives alone, one after
  // another (each is a multiple of 4 bytes long, so each stays aligned).
  std::string bytes(std::string_view file, std::optional<size_t> first_compressed) const {
    size_t n = spans_.size();
    if (!first_compressed && n > 0) --n;
    if (n == 0) return {};
    bool all = true;
    for (size_t i = 0; i < n; ++i) all = all && spans_[i].early_load;
    if (all) return std::string(file.substr(0, first_compressed ? *first_compressed : spans_[n].at));
    std::string kept;
    for (size_t i = 0; i < n; ++i)
      if (spans_[i].early_load) kept += file.substr(spans_[i].at, spans_[i].end - spans_[i].at);
    return kept;
  }

 private:
  struct Span {
    size_t at, end;
    bool early_load;
  };
  std::vector<Span> spans_;
};

}  // namespace

Result<InitramfsParts> split_initramfs(std::string_view file) {
  return split_initramfs(file, UINT64_MAX);
}

Result<UnpackedInitramfs> unpack_initramfs(std::string_view file, const std::string& dir,
                                           const UnpackOptions& options) {
  UniqueFd root = TRY(sys::open(dir, O_RDONLY | O_DIRECTORY));
  Extractor extractor(std::move(root));
  StreamExtractor sink(extractor, options.marker);
  UnpackedInitramfs result;
  result.compression = "none";
  std::optional<size_t> first_compressed;
  EarlyArchives early;
  size_t archives = 0;
  uint64_t& total = result.unpacked_bytes;
  const uint64_t max = options.max_unpacked;
  size_t pos = 0;
  while (pos < file.size()) {
    TRY(check_interrupted());
    if (file[pos] == '\0') {
      ++pos;
      continue;
    }
    if (file[pos] == '0' && pos % 4 == 0) {
      size_t end = TRY(sink.archive_at(file, pos));
      total += end - pos;
      if (total > max)
        return fail("unpack", str("the archives unpack to more than ", max, " bytes"), EFBIG);
      if (!first_compressed) TRY(early.add(file, pos, end));
      ++archives;
      pos = end;
      if (options.release_input) release_pages(file, pos);
      continue;
    }
    auto [c, rest, length] = TRY(frame_stream(file, pos));
    // Finding the end touched the stream; decompressing reads it again.
    if (length && options.release_input) release_pages(file, pos + length);
    size_t consumed = 0;
    TRY(decompress_into(*c, rest, pos, consumed,
                        [&](std::string_view chunk) { return sink.feed(chunk); }, total, max,
                        options.release_input ? file : std::string_view()));
    TRY(sink.end_stream());
    if (!c->length) length = consumed;
    if (length == 0)
      return fail("decompress", stream_name(*c, pos) + ": no input consumed");
    if (!first_compressed) {
      first_compressed = pos;
      result.compression = c->name;
    }
    ++archives;
    pos += length;
    if (options.release_input) release_pages(file, pos);
  }
  if (archives == 0) return fail("read initramfs", "no cpio archive in the file");
  result.early = early.bytes(file, first_compressed);
  TRY(extractor.finish());
  result.stats = extractor.stats;
  result.has_marker = sink.has_marker;
  return result;
}

Result<InitramfsParts> split_initramfs(std::string_view file, uint64_t max_unpacked) {
  uint64_t total = 0;
  InitramfsParts parts;
  parts.compression = "none";
  std::optional<size_t> first_compressed;
  EarlyArchives early;
  size_t pos = 0;
  while (pos < file.size()) {
    if (file[pos] == '\0') {
      ++pos;
      continue;
    }
    if (file[pos] == '0' && pos % 4 == 0) {
      CpioArchive archive = TRY(read_cpio(file, pos));
      parts.archives.emplace_back(file.substr(pos, archive.end - pos));
      total += archive.end - pos;
      if (total > max_unpacked)
        return fail("unpack", str("the archives unpack to more than ", max_unpacked, " bytes"), EFBIG);
      if (!first_compressed) TRY(early.add(file, pos, archive.end));
      pos = archive.end;
      continue;
    }
    auto [c, rest, length] = TRY(frame_stream(file, pos));
    size_t consumed = 0;
    parts.archives.push_back(TRY(decompress(*c, rest, pos, consumed, max_unpacked - total)));
    total += parts.archives.back().size();
    if (!c->length) length = consumed;
    if (length == 0)  // cannot happen, but must not loop forever
      return fail("decompress", stream_name(*c, pos) + ": no input consumed");
    if (!first_compressed) {
      first_compressed = pos;
      parts.compression = c->name;
    }
    pos += length;
  }
  if (parts.archives.empty())
    return fail("read initramfs", "no cpio archive in the file");
  parts.early = early.bytes(file, first_compressed);
  return parts;
}

}  // namespace iofs
