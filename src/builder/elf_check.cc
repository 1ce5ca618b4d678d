#include "builder/elf_check.h"

#include <elf.h>

#include "core/strings.h"

namespace iofs {
namespace {

constexpr uint32_t kPtInterp = 3;
constexpr uint16_t kEtExec = 2, kEtDyn = 3;
constexpr uint16_t kPnXnum = 0xffff;  // the count is elsewhere (section 0)

// Fixed-width fields in the file's byte order; the caller checks bounds.
struct Fields {
  std::string_view bytes;
  bool big_endian;
  uint64_t get(size_t at, size_t width) const {
    uint64_t v = 0;
    for (size_t i = 0; i < width; ++i) {
      auto b = static_cast<unsigned char>(bytes[big_endian ? at + i : at + width - 1 - i]);
      v = (v << 8) | b;
    }
    return v;
  }
};

// Whether [offset, offset + size) lies inside `total` bytes, without overflow.
bool inside(uint64_t offset, uint64_t size, size_t total) {
  return offset <= total && size <= total - offset;
}

}  // namespace

Result<ElfHeader> read_elf_header(std::string_view bytes) {
  auto bad = [](std::string why) { return fail("read ELF", std::move(why)); };
  if (bytes.size() < 16 || bytes.substr(0, 4) != "\x7f" "ELF") return bad("not an ELF file");
  ElfHeader h;
  const auto cls = static_cast<unsigned char>(bytes[4]), data = static_cast<unsigned char>(bytes[5]);
  if (cls != 1 && cls != 2) return bad(str("unknown ELF class ", int{cls}));
  if (data != 1 && data != 2) return bad(str("unknown ELF byte order ", int{data}));
  h.is_64bit = cls == 2;
  h.big_endian = data == 2;
  if (bytes.size() < (h.is_64bit ? 64u : 52u)) return bad("truncated ELF header");
  const Fields f{bytes, h.big_endian};
  h.type = static_cast<uint16_t>(f.get(16, 2));
  h.machine = static_cast<uint16_t>(f.get(18, 2));
  return h;
}

std::string elf_machine_name(uint16_t machine) {
  switch (machine) {
    case EM_X86_64: return "x86-64";
    case EM_AARCH64: return "AArch64";
    case EM_386: return "i386";
    case EM_ARM: return "ARM";
    case EM_RISCV: return "RISC-V";
    case EM_PPC64: return "PowerPC64";
    case EM_S390: return "S/390";
    default: return str("ELF machine ", machine);
  }
}

Result<ElfProgram> read_elf_program(std::string_view bytes) {
  auto bad = [](std::string why) { return fail("read ELF", std::move(why)); };
  const ElfHeader h = TRY(read_elf_header(bytes));
  ElfProgram p{.is_64bit = h.is_64bit, .big_endian = h.big_endian, .type = h.type,
               .machine = h.machine};
  const Fields f{bytes, p.big_endian};
  if (p.type != kEtExec && p.type != kEtDyn)
    return bad(str("not an executable (ELF type ", p.type, ")"));
  const uint64_t phoff = p.is_64bit ? f.get(32, 8) : f.get(28, 4);
  const uint64_t phentsize = f.get(p.is_64bit ? 54 : 42, 2);
  const uint64_t phnum = f.get(p.is_64bit ? 56 : 44, 2);
  if (phnum == kPnXnum) return bad("more program headers than this reader takes");
  if (phnum == 0) return bad("no program headers: nothing the kernel could run");
  const uint64_t min_entry = p.is_64bit ? 56 : 32;
  if (phentsize < min_entry) return bad(str("program header size ", phentsize, " too small"));
  if (!inside(phoff, phentsize * phnum, bytes.size()))
    return bad("program headers past the end of the file");
  for (uint64_t i = 0; i < phnum; ++i) {
    const size_t at = static_cast<size_t>(phoff + i * phentsize);
    if (f.get(at, 4) != kPtInterp) continue;
    const uint64_t offset = p.is_64bit ? f.get(at + 8, 8) : f.get(at + 4, 4);
    const uint64_t size = p.is_64bit ? f.get(at + 32, 8) : f.get(at + 16, 4);
    if (!inside(offset, size, bytes.size())) return bad("PT_INTERP past the end of the file");
    std::string_view name = bytes.substr(static_cast<size_t>(offset), static_cast<size_t>(size));
    if (size_t nul = name.find('\0'); nul != std::string_view::npos) name = name.substr(0, nul);
    p.interpreter = std::string(name);
    break;
  }
  return p;
}

}  // namespace iofs
