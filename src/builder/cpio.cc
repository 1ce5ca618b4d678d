// The "newc" cpio format, as the kernel unpacks it into the initramfs root
// (Documentation/driver-api/early-userspace/buffer-format.rst):
//
//   archive := entry* trailer
//   entry   := header name pad4 data pad4
//   header  := 110 ASCII bytes: the magic "070701" (or "070702", whose check
//              field is the 32-bit sum of the data bytes) followed by 13
//              fields of 8 hex digits: ino mode uid gid nlink mtime filesize
//              devmajor devminor rdevmajor rdevminor namesize check
//   name    := namesize bytes including the terminating NUL
//   pad4    := zero bytes up to the next multiple of 4, counted from the
//              start of the archive (header + name are padded together)
//   trailer := an entry named "TRAILER!!!" with no data
//
// A symlink's data is its target. Hard links share ino (and devmajor and
// devminor) and have nlink > 1; the data may come with any one of them.
// This file is pure code: it only turns bytes into entries and back.
#include "builder/cpio.h"

#include <sys/stat.h>

#include <array>
#include <cstring>
#include <optional>

#include "core/strings.h"

namespace iofs {
namespace {

struct [[gnu::packed]] NewcHeader {
  char magic[6];
  char ino[8];
  char mode[8];
  char uid[8];
  char gid[8];
  char nlink[8];
  char mtime[8];
  char filesize[8];
  char devmajor[8];
  char devminor[8];
  char rdevmajor[8];
  char rdevminor[8];
  char namesize[8];
  char check[8];
};
static_assert(sizeof(NewcHeader) == 110);

constexpr std::string_view kMagic = "070701";
constexpr std::string_view kMagicCrc = "070702";
constexpr std::string_view kTrailer = "TRAILER!!!";
// The kernel refuses names longer than PATH_MAX.
constexpr uint32_t kMaxNameSize = 4096;

size_t pad4(size_t n) { return (4 - n % 4) % 4; }

void put_hex(char (&field)[8], uint32_t v) {
  static constexpr char digits[] = "0123456789ABCDEF";
  for (int i = 7; i >= 0; --i) {
    field[i] = digits[v & 0xf];
    v >>= 4;
  }
}

bool get_hex(const char (&field)[8], uint32_t& v) {
  v = 0;
  for (char c : field) {
    uint32_t d;
    if (c >= '0' && c <= '9')
      d = c - '0';
    else if (c >= 'a' && c <= 'f')
      d = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F')
      d = c - 'A' + 10;
    else
      return false;
    v = v << 4 | d;
  }
  return true;
}

std::unexpected<Error> bad(size_t offset, std::string_view problem) {
  return fail("read cpio", str("at byte ", offset, ": ", problem));
}

void append_header(std::string& out, const CpioEntry& e, uint32_t ino, uint32_t filesize) {
  NewcHeader h;
  std::memcpy(h.magic, kMagic.data(), sizeof h.magic);
  put_hex(h.ino, ino);
  put_hex(h.mode, e.mode);
  put_hex(h.uid, e.uid);
  put_hex(h.gid, e.gid);
  put_hex(h.nlink, e.nlink);
  put_hex(h.mtime, e.mtime);
  put_hex(h.filesize, filesize);
  put_hex(h.devmajor, e.devmajor);
  put_hex(h.devminor, e.devminor);
  put_hex(h.rdevmajor, e.rdevmajor);
  put_hex(h.rdevminor, e.rdevminor);
  put_hex(h.namesize, static_cast<uint32_t>(e.name.size() + 1));
  put_hex(h.check, 0);
  // Every entry starts 4-aligned, so padding can be computed per entry.
  out.append(reinterpret_cast<const char*>(&h), sizeof h);
  out += e.name;
  out += '\0';
  out.append(pad4(sizeof h + e.name.size() + 1), '\0');
}

void append_entry(std::string& out, const CpioEntry& e, uint32_t ino) {
  append_header(out, e, ino, static_cast<uint32_t>(e.data.size()));
  out += e.data;
  out.append(pad4(e.data.size()), '\0');
}

}  // namespace

CpioWriter::CpioWriter(std::string& out) : out_(out) {}

void CpioWriter::add(const CpioEntry& e) {
  append_entry(out_, e, e.ino != 0 ? e.ino : next_ino_++);
}

void CpioWriter::add_header(const CpioEntry& e, uint32_t data_size) {
  append_header(out_, e, e.ino != 0 ? e.ino : next_ino_++, data_size);
}

void CpioWriter::pad_data(uint32_t data_size) { out_.append(pad4(data_size), '\0'); }

void CpioWriter::finish() {
  CpioEntry trailer;
  trailer.name = kTrailer;
  append_entry(out_, trailer, 0);  // ino 0, like GNU cpio's trailer
}

Result<std::optional<CpioEntryRead>> read_cpio_entry(std::string_view data, size_t offset,
                                                     CpioRead mode, size_t report_base,
                                                     CpioData copy) {
  const bool partial = mode == CpioRead::partial;
  const size_t entry_at = offset;
  // A stream may end anywhere: in partial mode a truncation is "not yet".
  auto truncated = [&](std::string problem) -> Result<std::optional<CpioEntryRead>> {
    if (partial) return std::nullopt;
    return bad(report_base + entry_at, problem);
  };
  if (offset > data.size()) return bad(report_base + offset, "offset past the end of input");
  if (data.size() - offset < sizeof(NewcHeader))
    return truncated(str("truncated header (", data.size() - offset, " of ", sizeof(NewcHeader),
                         " bytes)"));
  NewcHeader h;
  std::memcpy(&h, data.data() + offset, sizeof h);
  std::string_view magic(h.magic, sizeof h.magic);
  bool with_checksum = magic == kMagicCrc;
  if (magic != kMagic && !with_checksum)
    return bad(report_base + entry_at, "bad magic (not a newc cpio header)");

  CpioEntryRead r;
  CpioEntry& e = r.entry;
  uint32_t filesize, namesize, check;
  const std::array<std::pair<const char(*)[8], uint32_t*>, 13> fields{{
      {&h.ino, &e.ino},
      {&h.mode, &e.mode},
      {&h.uid, &e.uid},
      {&h.gid, &e.gid},
      {&h.nlink, &e.nlink},
      {&h.mtime, &e.mtime},
      {&h.filesize, &filesize},
      {&h.devmajor, &e.devmajor},
      {&h.devminor, &e.devminor},
      {&h.rdevmajor, &e.rdevmajor},
      {&h.rdevminor, &e.rdevminor},
      {&h.namesize, &namesize},
      {&h.check, &check},
  }};
  for (auto [field, value] : fields) {
    if (!get_hex(*field, *value))
      return bad(report_base + entry_at + (reinterpret_cast<const char*>(field) -
                                           reinterpret_cast<const char*>(&h)),
                 "non-hex digit in header field");
  }
  offset += sizeof h;

  if (namesize == 0 || namesize > kMaxNameSize)
    return bad(report_base + entry_at, str("bad name size ", namesize));
  if (data.size() - offset < namesize) return truncated("truncated name");
  std::string_view name = data.substr(offset, namesize);
  if (name.back() != '\0') return bad(report_base + entry_at, "name not NUL-terminated");
  name.remove_suffix(1);
  if (name.find('\0') != std::string_view::npos)
    return bad(report_base + entry_at, "NUL inside name");
  offset += namesize;
  // Every entry starts 4-aligned from the archive's start, so padding
  // counted from the entry is padding counted from the archive.
  size_t pad = pad4(offset - entry_at);
  if (name == kTrailer && filesize == 0) {
    // Be lenient about the final padding: the kernel stops at the end of
    // input too.
    if (partial && data.size() - offset < pad) return std::nullopt;
    r.trailer = true;
    r.end = std::min(offset + pad, data.size());
    return r;
  }
  if (data.size() - offset < pad) return truncated("truncated name");
  offset += pad;

  if (data.size() - offset < filesize)
    return truncated(str("file size ", filesize, " of '", name, "' goes past the end of input"));
  std::string_view body = data.substr(offset, filesize);
  offset += filesize;
  // Like the kernel and GNU cpio, only regular files carry a checksum.
  if (with_checksum && (e.mode & S_IFMT) == S_IFREG) {
    uint32_t sum = 0;
    for (unsigned char c : body) sum += c;
    if (sum != check) return bad(report_base + entry_at, str("checksum mismatch for '", name, "'"));
  }
  pad = pad4(offset - entry_at);
  if (data.size() - offset < pad) return truncated(str("truncated data of '", name, "'"));
  offset += pad;
  r.end = offset;
  r.trailer = name == kTrailer;
  if (!r.trailer) {
    e.name = name;
    r.body = body;
    if (copy == CpioData::copy || (e.mode & S_IFMT) != S_IFREG) e.data = body;
  }
  return r;
}

Result<CpioArchive> read_cpio(std::string_view data, size_t offset) {
  CpioArchive archive;
  if (offset > data.size()) return bad(offset, "offset past the end of input");
  for (;;) {
    auto r = TRY(read_cpio_entry(data, offset, CpioRead::whole));
    if (!r) return bad(offset, "truncated");  // whole mode does not give nullopt
    offset = r->end;
    if (r->trailer) {
      archive.end = offset;
      return archive;
    }
    archive.entries.push_back(std::move(r->entry));
  }
}

std::vector<CpioEntry> cpio_entries(std::string_view data) {
  std::vector<CpioEntry> out;
  size_t offset = 0;
  while (offset < data.size()) {
    while (offset < data.size() && data[offset] == '\0') ++offset;
    if (offset >= data.size()) break;
    auto cpio = read_cpio(data, offset);
    if (!cpio) break;
    for (CpioEntry& e : cpio->entries) out.push_back(std::move(e));
    offset = cpio->end;
  }
  return out;
}

}  // namespace iofs
