// The PE/COFF headers of a UEFI program, as far as the builder needs them
// to assemble a unified kernel image (uki.h) around systemd-stub and to
// read the mini initramfs back out of one (boot_entries.h).
//
// Format (Microsoft's "PE Format" specification; UEFI programs are PE32+):
//   offset 0x3c      4  e_lfanew: where the "PE\0\0" signature is
//   COFF header (20 bytes after the signature):
//        0  2  Machine (0x8664 x86-64, 0xaa64 arm64)
//        2  2  NumberOfSections
//       16  2  SizeOfOptionalHeader
//   optional header, PE32+ (magic 0x20b):
//       24  8  ImageBase
//       32  4  SectionAlignment
//       36  4  FileAlignment
//   section table (40 bytes each, after the optional header):
//        0  8  Name (NUL-padded)
//        8  4  VirtualSize
//       12  4  VirtualAddress (relative to ImageBase)
//       16  4  SizeOfRawData
//       20  4  PointerToRawData
// All integers little-endian. Every offset and size is checked against
// the file: the bytes may be anyone's (a .efi file on the ESP).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace iofs {

inline constexpr uint16_t kPeMachineX86_64 = 0x8664;
inline constexpr uint16_t kPeMachineArm64 = 0xaa64;

struct PeSection {
  std::string name;         // up to 8 characters
  uint64_t vma = 0;         // ImageBase + VirtualAddress, as objcopy counts
  uint32_t virtual_size = 0;
  uint32_t raw_offset = 0;  // in the file
  uint32_t raw_size = 0;
};

struct PeImage {
  uint16_t machine = 0;
  uint64_t image_base = 0;
  uint32_t section_alignment = 0;
  std::vector<PeSection> sections;

  const PeSection* section(std::string_view name) const;
  // The first address after every section, rounded up to section_alignment:
  // where a section added after them may start.
  uint64_t end_vma() const;
};

// Parses the headers; fails (op "read PE") naming what is wrong: not a PE
// file, not PE32+, a header or section table past the end, a section's raw
// data past the end, a section alignment that is not a power of two. Pure.
Result<PeImage> read_pe(std::string_view bytes);

// The contents of section `name`: its raw data, no more than its virtual
// size (the file pads sections to FileAlignment). nullopt when there is no
// such section. `bytes` must be what `pe` was read from. Pure.
std::optional<std::string_view> pe_section_data(const PeImage& pe, std::string_view bytes,
                                                std::string_view name);

}  // namespace iofs
