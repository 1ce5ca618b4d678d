// What the builder needs to know of a program before it puts it into the
// mini initramfs, which holds no shared libraries: is it an ELF executable,
// for which machine, and does it ask for a dynamic loader. And, of a kernel
// module (an ELF relocatable file), which machine it was built for.
//
// The format (System V gABI, "ELF Header" and "Program Header"; <elf.h>):
// e_ident (magic 7f 'E' 'L' 'F', class 32/64-bit, byte order), then e_type,
// e_machine, and e_phoff/e_phentsize/e_phnum locating the program headers.
// A program that needs the dynamic loader has a PT_INTERP program header
// naming it (/lib64/ld-linux-x86-64.so.2); a static one, static-pie
// included (it has PT_DYNAMIC but no PT_INTERP), has none.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.h"

namespace iofs {

// The ELF header alone, of any type: a kernel module is ET_REL.
struct ElfHeader {
  bool is_64bit = false;
  bool big_endian = false;
  uint16_t type = 0;     // ET_REL, ET_EXEC, ET_DYN, ...
  uint16_t machine = 0;  // EM_X86_64, EM_AARCH64, ...
};

// Reads the identification and the type and machine of the first 20 bytes
// (and checks the header's length for the class). Fails (op "read ELF") for
// anything that is not an ELF file. Pure.
Result<ElfHeader> read_elf_header(std::string_view bytes);

// "x86-64", "AArch64", ..., "ELF machine N" for one this does not name.
std::string elf_machine_name(uint16_t machine);

struct ElfProgram {
  bool is_64bit = false;
  bool big_endian = false;
  uint16_t type = 0;     // ET_EXEC or ET_DYN
  uint16_t machine = 0;  // EM_X86_64, EM_AARCH64, ...
  std::optional<std::string> interpreter;  // set: dynamically linked
};

// Reads the ELF header and program headers of a whole file's bytes. Fails
// (op "read ELF", detail saying what is wrong) for anything that is not an
// executable (ET_EXEC or ET_DYN) or whose headers lie outside the bytes.
// Pure: no system calls; never reads out of bounds.
Result<ElfProgram> read_elf_program(std::string_view bytes);

}  // namespace iofs
