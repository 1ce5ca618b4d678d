// --uki: a unified kernel image (the Boot Loader Specification's type #2
// entry, the UAPI group's UKI format): systemd-stub with the kernel, the
// mini initramfs, the kernel command line, os-release and the kernel
// release added as PE sections, optionally signed for Secure Boot.
//
// Assembled with the well-kept tools, as dracut does without ukify (which
// Debian 12's systemd 252 lacks): objcopy adds each section at an address
// after the stub's own sections (--add-section, --change-section-vma),
// sbsign signs the result (Authenticode), sbverify checks the signature
// with the certificate. Under Secure Boot the firmware checks the whole
// file, and systemd-stub ignores a command line given by the boot loader:
// the mini initramfs (with the image's verity root hash) and the command
// line are authenticated with the kernel. The image stays a separate file,
// checked block by block when built with --verity.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "builder/options.h"
#include "builder/pe.h"
#include "core/error.h"

namespace iofs {

struct UkiSpec {
  std::string stub;         // systemd-stub, linuxx64.efi.stub / linuxaa64.efi.stub
  std::string kernel;       // the kernel image (an EFI program itself)
  std::string initrd;       // the finished mini initramfs
  std::string cmdline;      // the kernel command line, embedded as .cmdline
  std::string os_release;   // a file: .osrel
  std::string kver;         // .uname
  std::string sign_key, sign_cert;  // both empty: unsigned
};

// --uki's PATH for kernel `kver`: every "%k" replaced by it ("%%" is a
// "%"), so that one line in install.conf serves every kernel, as
// "uki /efi/EFI/Linux/debian-%k.efi". Pure.
std::string uki_path_for(std::string_view pattern, std::string_view kver);

// One section the UKI gets: its name, the file it comes from, its size and
// the address objcopy is told to put it at.
struct UkiSection {
  std::string name;
  std::string file;
  uint64_t size = 0;
  uint64_t vma = 0;
};

// The addresses of `sections` (name, file and size set) after the stub's
// own sections, each starting at the stub's section alignment, in the
// order given. Pure.
std::vector<UkiSection> uki_layout(const PeImage& stub, std::vector<UkiSection> sections);

// objcopy's command line adding `sections` to `stub`, writing `out`. Pure.
std::vector<std::string> uki_objcopy_argv(const std::vector<UkiSection>& sections,
                                          const std::string& stub, const std::string& out);

// The systemd-stub for a kernel image of `machine` (its PE header), in
// Debian's systemd-boot-efi: /usr/lib/systemd/boot/efi/linuxx64.efi.stub
// or linuxaa64.efi.stub; fails for other machines.
Result<std::string> default_uki_stub(uint16_t machine);

// The command line kernel-install would embed: /etc/kernel/cmdline, else
// /usr/lib/kernel/cmdline, else the running kernel's /proc/cmdline without
// the boot loader's BOOT_IMAGE= and initrd= words. Whitespace runs
// (newlines too) become single spaces.
Result<std::string> default_uki_cmdline();
// /proc/cmdline's text without BOOT_IMAGE= and initrd= words. Pure.
std::string cmdline_without_loader_words(std::string_view text);

// The UKI the options ask for, around the mini initramfs at `initrd`:
// --uki-kernel or /boot/vmlinuz-KVER, --uki-stub or the stub for the
// kernel's machine, --uki-cmdline or default_uki_cmdline(), /etc/os-release
// (else /usr/lib/os-release).
Result<UkiSpec> uki_spec(const BuilderOptions& o, const std::string& kver, const std::string& initrd);

// Makes the UKI of `spec` at `out` (an existing file, overwritten: the
// builder's temporary output) with `workdir` for the intermediate files.
// Checks first that the stub and the kernel are PE files of the same
// machine, and afterwards that the result holds the mini initramfs byte
// for byte and, when signed, that sbverify accepts it with the
// certificate.
Result<void> build_uki(const UkiSpec& spec, const std::string& out, const std::string& workdir);

}  // namespace iofs
