#include "builder/uki.h"

#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "builder/mapped_file.h"
#include "builder/spawn.h"
#include "core/strings.h"
#include "core/sys.h"

namespace iofs {
namespace {

std::string hex(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

std::string one_line(std::string_view text) {
  std::string out;
  for (std::string_view w : split_words(text)) out += str(out.empty() ? "" : " ", w);
  return out;
}

}  // namespace

std::string uki_path_for(std::string_view pattern, std::string_view kver) {
  std::string out;
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] == '%' && i + 1 < pattern.size() && (pattern[i + 1] == 'k' || pattern[i + 1] == '%')) {
      out += pattern[i + 1] == 'k' ? kver : "%";
      ++i;
    } else {
      out += pattern[i];
    }
  }
  return out;
}

std::vector<UkiSection> uki_layout(const PeImage& stub, std::vector<UkiSection> sections) {
  const uint64_t a = stub.section_alignment ? stub.section_alignment : 1;
  uint64_t at = stub.end_vma();
  for (UkiSection& s : sections) {
    s.vma = at;
    at = (at + s.size + a - 1) / a * a;
  }
  return sections;
}

std::vector<std::string> uki_objcopy_argv(const std::vector<UkiSection>& sections,
                                          const std::string& stub, const std::string& out) {
  // --strip-all: the stub's COFF symbol table would follow the sections,
  // which sbsign hashes as "data remaining" after them, with a warning;
  // the firmware never reads it, and the sections stay as they are.
  std::vector<std::string> argv = {"objcopy", "--strip-all"};
  for (const UkiSection& s : sections) {
    argv.push_back("--add-section");
    argv.push_back(s.name + "=" + s.file);
    argv.push_back("--change-section-vma");
    argv.push_back(s.name + "=" + hex(s.vma));
  }
  argv.push_back(stub);
  argv.push_back(out);
  return argv;
}

Result<std::string> default_uki_stub(uint16_t machine) {
  const std::string dir = "/usr/lib/systemd/boot/efi/";
  if (machine == kPeMachineX86_64) return dir + "linuxx64.efi.stub";
  if (machine == kPeMachineArm64) return dir + "linuxaa64.efi.stub";
  return fail("--uki", str("the kernel is a PE program for machine ", hex(machine),
                           "; give the systemd-stub for it with --uki-stub"));
}

std::string cmdline_without_loader_words(std::string_view text) {
  std::string out;
  for (std::string_view w : split_words(text)) {
    if (w.starts_with("BOOT_IMAGE=") || w.starts_with("initrd=")) continue;
    out += str(out.empty() ? "" : " ", w);
  }
  return out;
}

Result<std::string> default_uki_cmdline() {
  for (const char* file : {"/etc/kernel/cmdline", "/usr/lib/kernel/cmdline"}) {
    auto text = sys::read_file(file, 1 << 20);
    if (text) return one_line(*text);
    if (text.error().err != ENOENT) return std::unexpected(text.error());
  }
  return cmdline_without_loader_words(TRY(sys::read_file("/proc/cmdline", 1 << 20)));
}

Result<UkiSpec> uki_spec(const BuilderOptions& o, const std::string& kver, const std::string& initrd) {
  UkiSpec spec{.kernel = o.uki_kernel.empty() ? "/boot/vmlinuz-" + kver : o.uki_kernel,
               .initrd = initrd,
               .kver = kver,
               .sign_key = o.uki_sign_key,
               .sign_cert = o.uki_sign_cert};
  if (o.uki_stub.empty()) {
    const MappedFile kernel = TRY(MappedFile::open(spec.kernel));
    auto pe = read_pe(kernel.view());
    if (!pe) return fail("--uki", str("kernel image ", spec.kernel, ": ", pe.error().detail,
                                      " (a kernel built without its EFI stub cannot go into a UKI)"));
    spec.stub = TRY(default_uki_stub(pe->machine));
    if (!sys::exists(spec.stub))
      return fail("--uki", spec.stub + " not found (Debian: systemd-boot-efi); or give --uki-stub");
  } else {
    spec.stub = o.uki_stub;
  }
  spec.cmdline = o.uki_cmdline_given ? o.uki_cmdline : TRY(default_uki_cmdline());
  spec.os_release = sys::exists("/etc/os-release") ? "/etc/os-release" : "/usr/lib/os-release";
  return spec;
}

Result<void> build_uki(const UkiSpec& spec, const std::string& out, const std::string& workdir) {
  auto pe_of = [](const std::string& path, const char* what) -> Result<std::pair<MappedFile, PeImage>> {
    MappedFile file = TRY(MappedFile::open(path));
    auto pe = read_pe(file.view());
    if (!pe) return fail("--uki", str(what, " ", path, ": ", pe.error().detail));
    PeImage image = *pe;
    return std::pair<MappedFile, PeImage>(std::move(file), std::move(image));
  };
  auto [stub_file, stub] = TRY(pe_of(spec.stub, "systemd-stub"));
  auto [kernel_file, kernel] = TRY(pe_of(spec.kernel, "kernel image"));
  if (stub.machine != kernel.machine)
    return fail("--uki", str("the stub ", spec.stub, " is for PE machine ", hex(stub.machine),
                             ", the kernel ", spec.kernel, " for ", hex(kernel.machine)));
  for (const char* name : {".linux", ".initrd", ".cmdline"})
    if (stub.section(name))
      return fail("--uki", str(spec.stub, " already has a ", name, " section: not a bare systemd-stub"));
  if (!program_exists("objcopy")) return fail("--uki", "objcopy not found (Debian: binutils)");
  const bool sign = !spec.sign_key.empty();
  if (sign && !program_exists("sbsign")) return fail("--uki-sign", "sbsign not found (Debian: sbsigntool)");

  // The small sections go into files of their own in the private workdir.
  auto small = [&](const std::string& name, const std::string& data) -> Result<UkiSection> {
    const std::string path = workdir + "/uki" + name;
    UniqueFd fd = TRY(sys::open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0600));
    TRY(sys::write_all(fd.get(), data, path));
    return UkiSection{.name = name, .file = path, .size = data.size()};
  };
  const std::string osrel = TRY(sys::read_file(spec.os_release, 1 << 20));
  const MappedFile initrd = TRY(MappedFile::open(spec.initrd));
  std::vector<UkiSection> sections;
  sections.push_back(TRY(small(".osrel", osrel)));
  sections.push_back(TRY(small(".cmdline", spec.cmdline)));
  sections.push_back(TRY(small(".uname", spec.kver)));
  sections.push_back({.name = ".initrd", .file = spec.initrd, .size = initrd.view().size()});
  // The kernel last, as ukify puts it: the largest section, nothing after it.
  sections.push_back({.name = ".linux", .file = spec.kernel, .size = kernel_file.view().size()});
  sections = uki_layout(stub, std::move(sections));

  const std::string unsigned_efi = workdir + "/uki.unsigned.efi";
  const std::string signed_efi = workdir + "/uki.signed.efi";
  if (auto r = run_program(uki_objcopy_argv(sections, spec.stub, unsigned_efi)); !r)
    return fail("--uki: objcopy", r.error().message());
  std::string result_path = unsigned_efi;
  if (sign) {
    if (auto r = run_program({"sbsign", "--key", spec.sign_key, "--cert", spec.sign_cert, "--output",
                              signed_efi, unsigned_efi},
                              // A key with a passphrase would prompt on the terminal,
                              // and from a kernel hook nobody answers: refused instead.
                              {.stdin_path = "/dev/null", .quiet = true});
        !r)
      return fail("--uki-sign: sbsign", str(spec.sign_key, " and ", spec.sign_cert, ": ", r.error().message(),
                                            " (a key with a passphrase cannot be used unattended)"));
    if (auto r = run_program({"sbverify", "--cert", spec.sign_cert, signed_efi}, {.quiet = true}); !r)
      return fail("--uki-sign: sbverify", str("the signed UKI does not verify with ", spec.sign_cert, ": ",
                                              r.error().message()));
    result_path = signed_efi;
  }
  // Read back: the sections where they were put, the mini initramfs whole.
  {
    const MappedFile made = TRY(MappedFile::open(result_path));
    auto pe = read_pe(made.view());
    if (!pe) return fail("--uki", str("objcopy's result: ", pe.error().detail));
    auto embedded = pe_section_data(*pe, made.view(), ".initrd");
    if (!embedded || *embedded != initrd.view())
      return fail("--uki", "objcopy's result does not hold the mini initramfs byte for byte");
    auto kern = pe_section_data(*pe, made.view(), ".linux");
    if (!kern || *kern != kernel_file.view())
      return fail("--uki", "objcopy's result does not hold the kernel byte for byte");
    UniqueFd fd = TRY(sys::open(out, O_WRONLY | O_TRUNC | O_NOFOLLOW));
    TRY(sys::write_all(fd.get(), made.view(), out));
    if (::fsync(fd.get()) != 0) return sys_error("fsync", out);
  }
  ::unlink(unsigned_efi.c_str());
  ::unlink(signed_efi.c_str());
  for (const UkiSection& s : sections)
    if (s.file.starts_with(workdir + "/uki.")) ::unlink(s.file.c_str());
  return {};
}

}  // namespace iofs
