// Assembling the mini initramfs: the early-boot program as /init, its
// config and load plan, the modules of the plan, and the device node and
// directories the program needs, as a newc cpio, compressed.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "core/error.h"
#include "builder/initramfs_input.h"
#include "core/load_plan.h"

namespace iofs {

struct MiniInitramfsSpec {
  std::string early_cpio;         // uncompressed archives to put first (microcode)
  std::string program;            // path of the initoverlayfs binary
  std::string config_text;        // /etc/initoverlayfs.conf
  std::string kver;
  std::string moddir;             // where the plan's module files are read from
  std::vector<PlannedModule> plan;
  uint32_t mtime = 0;             // every entry's mtime (SOURCE_DATE_EPOCH)
  // Store the .ko.xz/.ko.zst/.ko.gz modules that every boot loads
  // decompressed (the plan names the .ko): the kernel then decompresses
  // them with the whole cpio, faster than each finit_module would. Modules
  // loaded on demand stay compressed: most boots never load them, and
  // unpacking them with the cpio would delay /init for nothing.
  bool decompress_modules = true;
  std::string compression = "zstd";
  // More files, name (relative to the root) and contents, mode 0644: the
  // root hash signature of --verity-sign.
  std::vector<std::pair<std::string, std::string>> extra_files;
  // --placement initrd: this file goes into an uncompressed cpio appended
  // after the compressed one, as /appended_name. Uncompressed so the kernel
  // only copies it (the EROFS image is compressed already).
  std::string appended_image;
  std::string appended_name;
  // --rescue-shell: the static busybox to put at /bin/busybox, with /bin/sh
  // and kRescueApplets linked to it (the shell of the early-boot program's
  // failure action, init/rescue_shell.h); empty: none.
  std::string rescue_busybox;
};

// The applets linked to the rescue busybox besides sh: enough to read the
// logs, look at disks and files, mount, load a module and leave. All are
// in Debian 12's busybox-static (which has no blkid; findfs finds LABEL=
// and UUID=). Any other applet runs as "busybox NAME".
inline constexpr std::string_view kRescueApplets[] = {
    "cat",   "chroot", "cp",     "df",    "dmesg",  "findfs", "free",     "grep",
    "head",  "insmod", "kill",   "less",  "ln",     "losetup", "ls",      "lsmod",
    "mkdir", "modprobe", "mount", "mv",   "poweroff", "ps",   "reboot",   "rm",
    "sed",   "stat",   "sync",   "tail",  "umount", "uname",  "vi",       "wc"};

// Refuses a rescue busybox the mini initramfs could not run: not an ELF
// executable, dynamically linked (the mini initramfs has no libraries), or
// for another machine than the early-boot program. `path` names it in the
// error.
Result<void> check_rescue_busybox(std::string_view busybox, const std::string& path,
                                  std::string_view program);

// A file every mini initramfs holds ("initoverlayfs-install VERSION"), so
// that a builder run from a hook recognises an initramfs it made already
// and does not convert it again. The early-boot program does not read it.
inline constexpr std::string_view kMiniInitramfsMarker = "etc/initoverlayfs-install.made";

// Whether an initramfs's archives hold the marker.
bool is_mini_initramfs(const InitramfsParts& parts);

// The uncompressed cpio archive (deterministic: sorted, fixed owners,
// inode numbers and mtimes).
Result<std::string> mini_initramfs_cpio(const MiniInitramfsSpec& spec);

// Compresses a cpio for the kernel's initramfs unpacker and prepends the
// early archives; writes the result to `out`.
Result<void> write_mini_initramfs(const MiniInitramfsSpec& spec, const std::string& cpio,
                                  const std::string& out);

// --placement initrd: appends spec.appended_image to `fd` (the mini
// initramfs `out`, written so far) as an uncompressed cpio archive of its
// own holding /spec.appended_name, at the 4-byte boundary the kernel looks
// for it; nothing without an appended image. In systemd mode it follows
// dracut's archive the same way.
Result<void> append_image_archive(const MiniInitramfsSpec& spec, int fd, const std::string& out);

}  // namespace iofs
