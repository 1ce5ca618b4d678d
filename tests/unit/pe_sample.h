// A minimal PE32+ file made in memory for the tests of builder/pe.h and
// its users: the headers as the PE format lays them out, each section's
// data after them at FileAlignment 0x200.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace iofs::test {

struct SampleSection {
  std::string name;
  std::string data;
  uint32_t virtual_address = 0;  // relative to ImageBase
  uint32_t virtual_size = 0;     // 0: the data's size
};

inline void put_le(std::string& b, size_t at, uint64_t v, size_t n) {
  for (size_t i = 0; i < n; ++i) b[at + i] = static_cast<char>((v >> (8 * i)) & 0xff);
}

inline constexpr size_t kSamplePeOffset = 0x80;        // e_lfanew
inline constexpr size_t kSampleOptionalSize = 0xf0;    // as linkers write it
inline constexpr size_t kSampleSectionTable = kSamplePeOffset + 24 + kSampleOptionalSize;

inline std::string sample_pe(uint16_t machine, const std::vector<SampleSection>& sections,
                             uint64_t image_base = 0x140000000, uint32_t section_alignment = 0x1000) {
  const size_t headers_end = kSampleSectionTable + 40 * sections.size();
  auto align = [](size_t v) { return (v + 0x1ff) / 0x200 * 0x200; };
  std::string b(align(headers_end), '\0');
  b[0] = 'M';
  b[1] = 'Z';
  put_le(b, 0x3c, kSamplePeOffset, 4);
  b.replace(kSamplePeOffset, 4, std::string("PE\0\0", 4));
  const size_t coff = kSamplePeOffset + 4;
  put_le(b, coff, machine, 2);
  put_le(b, coff + 2, sections.size(), 2);
  put_le(b, coff + 16, kSampleOptionalSize, 2);
  const size_t opt = coff + 20;
  put_le(b, opt, 0x20b, 2);
  put_le(b, opt + 24, image_base, 8);
  put_le(b, opt + 32, section_alignment, 4);
  put_le(b, opt + 36, 0x200, 4);
  for (size_t i = 0; i < sections.size(); ++i) {
    const SampleSection& s = sections[i];
    const size_t at = kSampleSectionTable + 40 * i;
    b.replace(at, s.name.size(), s.name);
    put_le(b, at + 8, s.virtual_size ? s.virtual_size : s.data.size(), 4);
    put_le(b, at + 12, s.virtual_address, 4);
    const size_t raw = align(s.data.size());
    put_le(b, at + 16, raw, 4);
    put_le(b, at + 20, b.size(), 4);
    std::string data = s.data;
    data.resize(raw, '\0');
    b += data;
  }
  return b;
}

}  // namespace iofs::test
