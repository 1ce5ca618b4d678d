#include "builder/pe.h"

#include <algorithm>

#include "core/strings.h"

namespace iofs {
namespace {

uint64_t le(std::string_view b, size_t at, size_t n) {
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i) v |= uint64_t{static_cast<unsigned char>(b[at + i])} << (8 * i);
  return v;
}

}  // namespace

const PeSection* PeImage::section(std::string_view name) const {
  for (const PeSection& s : sections)
    if (s.name == name) return &s;
  return nullptr;
}

uint64_t PeImage::end_vma() const {
  uint64_t end = image_base;
  for (const PeSection& s : sections) end = std::max(end, s.vma + std::max(s.virtual_size, s.raw_size));
  const uint64_t a = section_alignment ? section_alignment : 1;
  return (end + a - 1) / a * a;
}

Result<PeImage> read_pe(std::string_view b) {
  auto bad = [](std::string why) { return fail("read PE", std::move(why)); };
  if (b.size() < 0x40 || b.substr(0, 2) != "MZ") return bad("not a PE file (no MZ header)");
  const uint64_t pe = le(b, 0x3c, 4);
  if (pe > b.size() || b.size() - pe < 24) return bad("the PE header is past the end of the file");
  if (b.substr(pe, 4) != std::string_view("PE\0\0", 4)) return bad("no PE signature");
  PeImage img;
  const uint64_t coff = pe + 4;
  img.machine = static_cast<uint16_t>(le(b, coff, 2));
  const uint64_t nsections = le(b, coff + 2, 2);
  const uint64_t opt_size = le(b, coff + 16, 2);
  const uint64_t opt = coff + 20;
  if (opt_size < 40) return bad(str("the optional header is too short (", opt_size, " bytes)"));
  if (b.size() - opt < opt_size) return bad("the optional header is past the end of the file");
  if (le(b, opt, 2) != 0x20b) return bad("not PE32+ (optional header magic is not 0x20b)");
  img.image_base = le(b, opt + 24, 8);
  img.section_alignment = static_cast<uint32_t>(le(b, opt + 32, 4));
  const uint32_t a = img.section_alignment;
  if (a == 0 || (a & (a - 1)) != 0) return bad(str("section alignment ", a, " is not a power of two"));
  const uint64_t table = opt + opt_size;
  if ((b.size() - table) / 40 < nsections) return bad("the section table is past the end of the file");
  for (uint64_t i = 0; i < nsections; ++i) {
    const uint64_t at = table + 40 * i;
    PeSection s;
    s.name = std::string(b.substr(at, 8));
    s.name.erase(std::min(s.name.find('\0'), s.name.size()));
    s.virtual_size = static_cast<uint32_t>(le(b, at + 8, 4));
    s.vma = img.image_base + le(b, at + 12, 4);
    s.raw_size = static_cast<uint32_t>(le(b, at + 16, 4));
    s.raw_offset = static_cast<uint32_t>(le(b, at + 20, 4));
    if (s.raw_size && (s.raw_offset > b.size() || b.size() - s.raw_offset < s.raw_size))
      return bad(str("section ", s.name, ": its data (", s.raw_size, " bytes at ", s.raw_offset,
                     ") is past the end of the file (", b.size(), " bytes)"));
    img.sections.push_back(std::move(s));
  }
  return img;
}

std::optional<std::string_view> pe_section_data(const PeImage& pe, std::string_view bytes,
                                                std::string_view name) {
  const PeSection* s = pe.section(name);
  if (!s) return std::nullopt;
  uint32_t n = s->raw_size;
  if (s->virtual_size && s->virtual_size < n) n = s->virtual_size;
  if (s->raw_offset > bytes.size() || bytes.size() - s->raw_offset < n) return std::string_view();
  return bytes.substr(s->raw_offset, n);
}

}  // namespace iofs
