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
// Decompression uses libarchive's raw format with the one filter the magic
// names (stream_framing.h), so a stream is unpacked exactly once, as the
// kernel would. libarchive 3.6 handles the lz4 legacy frame (02 21 4c 18,
// what the kernel and `lz4 -l` write) through liblz4; without liblzo2 it
// runs `lzop -d` for lzop streams.
#include "builder/initramfs_input.h"

#include <archive.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <memory>
#include <optional>

#include "builder/cpio.h"
#include "builder/interrupt.h"
#include "builder/stream_framing.h"
#include "core/strings.h"
#include "core/sys.h"
#include "core/unique_fd.h"

namespace iofs {
namespace {

int enable_filter(struct archive* a, CompressionFormat format) {
  switch (format) {
    case CompressionFormat::gzip: return archive_read_support_filter_gzip(a);
    case CompressionFormat::bzip2: return archive_read_support_filter_bzip2(a);
    case CompressionFormat::lzma: return archive_read_support_filter_lzma(a);
    case CompressionFormat::xz: return archive_read_support_filter_xz(a);
    case CompressionFormat::lzop: return archive_read_support_filter_lzop(a);
    case CompressionFormat::lz4: return archive_read_support_filter_lz4(a);
    case CompressionFormat::zstd: return archive_read_support_filter_zstd(a);
  }
  return ARCHIVE_FATAL;
}

struct ArchiveFree {
  void operator()(struct archive* a) const { archive_read_free(a); }
};

// Decompresses one stream from the start of `in`; sets `consumed` to the
// number of input bytes libarchive used.
Result<std::string> decompress(const Compression& c, std::string_view in,
                               size_t at, size_t& consumed, uint64_t max_out = UINT64_MAX) {
  std::string what = stream_name(c, at);
  std::unique_ptr<struct archive, ArchiveFree> a(archive_read_new());
  if (!a) return fail("decompress", what, ENOMEM);
  auto la_error = [&] {
    const char* msg = archive_error_string(a.get());
    return fail("decompress",
                str(what, ": ", msg ? msg : "libarchive error"));
  };
  // ARCHIVE_WARN: the filter runs an external program (lzop -d).
  if (enable_filter(a.get(), c.format) < ARCHIVE_WARN ||
      archive_read_support_format_raw(a.get()) != ARCHIVE_OK ||
      archive_read_open_memory(a.get(), in.data(), in.size()) != ARCHIVE_OK)
    return la_error();
  struct archive_entry* entry;
  int r = archive_read_next_header(a.get(), &entry);
  if (r == ARCHIVE_EOF) return fail("decompress", what + ": no data in stream");
  if (r != ARCHIVE_OK && r != ARCHIVE_WARN) return la_error();
  std::string out;
  for (;;) {
    size_t have = out.size();
    out.resize(have + (1 << 20));
    la_ssize_t n = archive_read_data(a.get(), out.data() + have, 1 << 20);
    if (n < 0) return la_error();
    out.resize(have + static_cast<size_t>(n));
    if (n == 0) break;
    if (out.size() > max_out)
      return fail("unpack", str(what, ": unpacks to more than ", max_out, " bytes"), EFBIG);
  }
  consumed = static_cast<size_t>(archive_filter_bytes(a.get(), -1));
  if (out.empty()) return fail("decompress", what + ": no data in stream");
  // libarchive 3.6 does not check gzip's CRC-32. It joins consecutive gzip
  // members into one output, so the trailer at hand (CRC-32, length mod
  // 2^32) covers the last member, which is the whole stream in practice.
  if (c.format == CompressionFormat::gzip && out.size() <= UINT32_MAX) {
    auto trailer = gzip_trailer(in, consumed);
    if (!trailer) return fail("decompress", what + ": truncated");
    if (trailer->size > out.size() ||
        crc32(std::string_view(out).substr(out.size() - trailer->size)) != trailer->crc)
      return fail("decompress", what + ": CRC-32 mismatch (corrupt data)");
  }
  return out;
}

// ---------------------------------------------------------------------------
// Streaming: entries extracted as the decompressed bytes arrive.

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

// Drops the pages of `file` before `upto` from the resident set (see
// UnpackOptions::release_input).
void release_pages(std::string_view file, size_t upto) {
  const uintptr_t page = static_cast<uintptr_t>(::sysconf(_SC_PAGESIZE));
  uintptr_t begin = (reinterpret_cast<uintptr_t>(file.data()) + page - 1) / page * page;
  uintptr_t end = (reinterpret_cast<uintptr_t>(file.data()) + std::min(upto, file.size())) / page * page;
  if (end > begin) ::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_DONTNEED);
}

// libarchive's input, handed out 1 MiB at a time so that what it has read
// can be released behind it.
struct SliceReader {
  std::string_view in;
  size_t pos = 0, previous = 0;
  std::string_view file;  // the whole mapping, when releasing
  size_t at = 0;          // where `in` starts in it

  static la_ssize_t read(struct archive*, void* self, const void** buf) {
    auto* r = static_cast<SliceReader*>(self);
    // The previous slice may still be in use until this call returns.
    if (!r->file.empty()) release_pages(r->file, r->at + r->previous);
    r->previous = r->pos;
    size_t n = std::min(r->in.size() - r->pos, size_t{1} << 20);
    *buf = r->in.data() + r->pos;
    r->pos += n;
    return static_cast<la_ssize_t>(n);
  }
};

// Decompresses one stream from the start of `in` into `sink`, counting
// into `total` (bytes unpacked so far in the file) up to `max_total`;
// sets `consumed` to the input bytes libarchive used.
Result<void> decompress_into(const Compression& c, std::string_view in, size_t at,
                             size_t& consumed, StreamExtractor& sink, uint64_t& total,
                             uint64_t max_total, std::string_view release_file) {
  SliceReader reader{.in = in, .file = release_file, .at = at};
  std::string what = stream_name(c, at);
  std::unique_ptr<struct archive, ArchiveFree> a(archive_read_new());
  if (!a) return fail("decompress", what, ENOMEM);
  auto la_error = [&] {
    const char* msg = archive_error_string(a.get());
    return fail("decompress", str(what, ": ", msg ? msg : "libarchive error"));
  };
  if (enable_filter(a.get(), c.format) < ARCHIVE_WARN ||
      archive_read_support_format_raw(a.get()) != ARCHIVE_OK ||
      archive_read_open2(a.get(), &reader, nullptr, SliceReader::read, nullptr, nullptr) != ARCHIVE_OK)
    return la_error();
  struct archive_entry* entry;
  int r = archive_read_next_header(a.get(), &entry);
  if (r == ARCHIVE_EOF) return fail("decompress", what + ": no data in stream");
  if (r != ARCHIVE_OK && r != ARCHIVE_WARN) return la_error();
  std::string buf(1 << 20, '\0');
  uint64_t out = 0;
  uint32_t crc = 0;
  for (;;) {
    TRY(check_interrupted());
    la_ssize_t n = archive_read_data(a.get(), buf.data(), buf.size());
    if (n < 0) return la_error();
    if (n == 0) break;
    std::string_view chunk(buf.data(), static_cast<size_t>(n));
    out += chunk.size();
    total += chunk.size();
    if (total > max_total)
      return fail("unpack", str(what, ": the archives unpack to more than ", max_total, " bytes"),
                  EFBIG);
    if (c.format == CompressionFormat::gzip) crc = crc32_update(crc, chunk);
    TRY(sink.feed(chunk));
  }
  consumed = static_cast<size_t>(archive_filter_bytes(a.get(), -1));
  if (out == 0) return fail("decompress", what + ": no data in stream");
  // libarchive 3.6 does not check gzip's CRC-32 (see decompress()). The
  // trailer covers the last member; with one member (what gzip writes)
  // that is the whole output, whose CRC was kept as it streamed by.
  if (c.format == CompressionFormat::gzip) {
    auto trailer = gzip_trailer(in, consumed);
    if (!trailer) return fail("decompress", what + ": truncated");
    if (trailer->size > out && out <= UINT32_MAX)
      return fail("decompress", what + ": CRC-32 mismatch (corrupt data)");
    if (trailer->size == static_cast<uint32_t>(out) && trailer->crc != crc)
      return fail("decompress", what + ": CRC-32 mismatch (corrupt data)");
  }
  return sink.end_stream();
}

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
  size_t early_end = 0, last_archive_at = 0, archives = 0;
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
      if (!first_compressed) {
        early_end = end;
        last_archive_at = pos;
      }
      ++archives;
      pos = end;
      if (options.release_input) release_pages(file, pos);
      continue;
    }
    auto [c, rest, length] = TRY(frame_stream(file, pos));
    // Finding the end touched the stream; decompressing reads it again.
    if (length && options.release_input) release_pages(file, pos + length);
    size_t consumed = 0;
    TRY(decompress_into(*c, rest, pos, consumed, sink, total, max,
                        options.release_input ? file : std::string_view()));
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
  if (first_compressed) {
    if (early_end > 0) result.early = file.substr(0, *first_compressed);
  } else if (archives > 1) {
    result.early = file.substr(0, last_archive_at);
  }
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
  size_t early_end = 0;        // end of the archives before any compressed one
  size_t last_archive_at = 0;  // start of the last uncompressed archive
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
      if (!first_compressed) {
        early_end = archive.end;
        last_archive_at = pos;
      }
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
  if (first_compressed) {
    if (early_end > 0) parts.early = file.substr(0, *first_compressed);
  } else if (parts.archives.size() > 1) {
    parts.early = file.substr(0, last_archive_at);
  }
  return parts;
}

}  // namespace iofs
