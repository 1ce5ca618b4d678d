// The mini initramfs of systemd mode (--mode systemd), made by dracut:
// systemd, udev, the storage drivers, and the dracut module initoverlayfs
// (dist/dracut/90initoverlayfs), which installs the early-boot program, its
// configuration and the pre-initoverlayfs units (dist/systemd/).
#pragma once

#include <string>
#include <vector>

#include "core/error.h"

namespace iofs {

struct SystemdInitramfsSpec {
  std::string early_cpio;   // uncompressed archives to put first (microcode)
  std::string program;      // the initoverlayfs binary
  std::string config_text;  // /etc/initoverlayfs.conf
  std::string kver, moddir;
  std::vector<std::string> drivers;  // module names for --add-drivers
  std::string root_hash_sig;  // --verity-sign: the PKCS#7 signature, installed at kRootHashSigPath
  std::string compression = "zstd";  // zstd, gzip, xz, lz4, none
  std::string data_dir;     // holds dracut/90initoverlayfs and systemd/
  std::string work_dir;     // a private temporary directory
  bool reproducible = false;  // SOURCE_DATE_EPOCH is set
  bool verbose = false;
};

// Where the dracut module and the units are: installed beside the builder
// (PREFIX/share/initoverlayfs), or the source tree's dist/ for a build tree.
Result<std::string> find_systemd_data_dir();

// The dracut command line (without the environment it runs in).
std::vector<std::string> systemd_dracut_argv(const SystemdInitramfsSpec& spec,
                                             const std::string& confdir,
                                             const std::string& out);

// Runs dracut and writes the early archives and its output to `out`.
Result<void> make_systemd_initramfs(const SystemdInitramfsSpec& spec, const std::string& out);

}  // namespace iofs
