// libarchive 3.6 handles the lz4 legacy frame (02 21 4c 18, what the
// kernel and `lz4 -l` write) through liblz4; without liblzo2 it runs
// `lzop -d` for lzop streams. It does not check gzip's CRC-32, so that is
// done here from the member's trailer (stream_framing.h).
#include "builder/decompress.h"

#include <archive.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <memory>

#include "builder/interrupt.h"
#include "core/strings.h"

namespace iofs {
namespace {

struct ArchiveFree {
  void operator()(struct archive* a) const { archive_read_free(a); }
};
using ArchivePtr = std::unique_ptr<struct archive, ArchiveFree>;

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

std::unexpected<Error> libarchive_error(struct archive* a, const std::string& what) {
  const char* msg = archive_error_string(a);
  return fail("decompress", str(what, ": ", msg ? msg : "libarchive error"));
}

// A reader of the stream named `what`, past the header of the one entry
// the raw format makes of it; `attach` hands libarchive the input.
Result<ArchivePtr> open_stream(const Compression& c, const std::string& what,
                               const std::function<int(struct archive*)>& attach) {
  ArchivePtr a(archive_read_new());
  if (!a) return fail("decompress", what, ENOMEM);
  // ARCHIVE_WARN: the filter runs an external program (lzop -d).
  if (enable_filter(a.get(), c.format) < ARCHIVE_WARN ||
      archive_read_support_format_raw(a.get()) != ARCHIVE_OK ||
      attach(a.get()) != ARCHIVE_OK)
    return libarchive_error(a.get(), what);
  struct archive_entry* entry;
  int r = archive_read_next_header(a.get(), &entry);
  if (r == ARCHIVE_EOF) return fail("decompress", what + ": no data in stream");
  if (r != ARCHIVE_OK && r != ARCHIVE_WARN) return libarchive_error(a.get(), what);
  return a;
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

}  // namespace

Result<std::string> decompress(const Compression& c, std::string_view in, size_t at,
                               size_t& consumed, uint64_t max_out) {
  std::string what = stream_name(c, at);
  ArchivePtr a = TRY(open_stream(c, what, [&](struct archive* raw) {
    return archive_read_open_memory(raw, in.data(), in.size());
  }));
  std::string out;
  for (;;) {
    size_t have = out.size();
    out.resize(have + (1 << 20));
    la_ssize_t n = archive_read_data(a.get(), out.data() + have, 1 << 20);
    if (n < 0) return libarchive_error(a.get(), what);
    out.resize(have + static_cast<size_t>(n));
    if (n == 0) break;
    if (out.size() > max_out)
      return fail("unpack", str(what, ": unpacks to more than ", max_out, " bytes"), EFBIG);
  }
  consumed = static_cast<size_t>(archive_filter_bytes(a.get(), -1));
  if (out.empty()) return fail("decompress", what + ": no data in stream");
  // libarchive joins consecutive gzip members into one output, so the
  // trailer at hand covers the last member, which is the whole stream in
  // practice.
  if (c.format == CompressionFormat::gzip && out.size() <= UINT32_MAX) {
    auto trailer = gzip_trailer(in, consumed);
    if (!trailer) return fail("decompress", what + ": truncated");
    if (trailer->size > out.size() ||
        crc32(std::string_view(out).substr(out.size() - trailer->size)) != trailer->crc)
      return fail("decompress", what + ": CRC-32 mismatch (corrupt data)");
  }
  return out;
}

Result<void> decompress_into(const Compression& c, std::string_view in, size_t at,
                             size_t& consumed, const ChunkSink& sink, uint64_t& total,
                             uint64_t max_total, std::string_view release_file) {
  SliceReader reader{.in = in, .file = release_file, .at = at};
  std::string what = stream_name(c, at);
  ArchivePtr a = TRY(open_stream(c, what, [&](struct archive* raw) {
    return archive_read_open2(raw, &reader, nullptr, SliceReader::read, nullptr, nullptr);
  }));
  std::string buf(1 << 20, '\0');
  uint64_t out = 0;
  uint32_t crc = 0;
  for (;;) {
    TRY(check_interrupted());
    la_ssize_t n = archive_read_data(a.get(), buf.data(), buf.size());
    if (n < 0) return libarchive_error(a.get(), what);
    if (n == 0) break;
    std::string_view chunk(buf.data(), static_cast<size_t>(n));
    out += chunk.size();
    total += chunk.size();
    if (total > max_total)
      return fail("unpack", str(what, ": the archives unpack to more than ", max_total, " bytes"),
                  EFBIG);
    if (c.format == CompressionFormat::gzip) crc = crc32_update(crc, chunk);
    TRY(sink(chunk));
  }
  consumed = static_cast<size_t>(archive_filter_bytes(a.get(), -1));
  if (out == 0) return fail("decompress", what + ": no data in stream");
  // The gzip trailer covers the last member (see decompress()); with one
  // member (what gzip writes) that is the whole output, whose CRC was kept
  // as it streamed by.
  if (c.format == CompressionFormat::gzip) {
    auto trailer = gzip_trailer(in, consumed);
    if (!trailer) return fail("decompress", what + ": truncated");
    if (trailer->size > out && out <= UINT32_MAX)
      return fail("decompress", what + ": CRC-32 mismatch (corrupt data)");
    if (trailer->size == static_cast<uint32_t>(out) && trailer->crc != crc)
      return fail("decompress", what + ": CRC-32 mismatch (corrupt data)");
  }
  return {};
}

void release_pages(std::string_view file, size_t upto) {
  const uintptr_t page = static_cast<uintptr_t>(::sysconf(_SC_PAGESIZE));
  uintptr_t begin = (reinterpret_cast<uintptr_t>(file.data()) + page - 1) / page * page;
  uintptr_t end = (reinterpret_cast<uintptr_t>(file.data()) + std::min(upto, file.size())) / page * page;
  if (end > begin) ::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_DONTNEED);
}

}  // namespace iofs
