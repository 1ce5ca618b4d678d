#include "builder/module_plan.h"

#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <algorithm>
#include <cstdlib>

#include "builder/hostonly.h"
#include "builder/say.h"
#include "core/human.h"
#include "core/strings.h"
#include "core/sys.h"

namespace iofs {

Result<ModuleChoice> plan_modules(const BuilderOptions& o, const KernelChoice& kernel,
                                  const BootTarget& target, const InputTree& input) {
  Say say{o.verbose};
  ModuleIndex index = TRY(load_module_index(kernel.moddir));
  // The modprobe.d the classic initramfs would have applied: the input's
  // own (a copy of the host's, or the --rootdir tree's).
  ModprobeConfig modprobe = TRY(read_modprobe_config(kernel.moddir, modprobe_dirs(input.tree)));
  for (const std::string& note : apply_modprobe_softdeps(index, modprobe)) say(note);
  ModuleInputs in{.placement = o.placement,
                  .hostonly = o.hostonly,
                  .bootfs_fstype = target.bootfs.fstype,
                  .drivers = o.drivers,
                  .lowerfs = o.lowerfs,
                  .verity = o.verity,
                  .modprobe = std::move(modprobe)};
  // The device the output directory is on: --hostonly takes its drivers;
  // otherwise, when the image is read from that very filesystem at boot
  // (the builder found it in the mount table: a hint), the plan must hold
  // them too, or the mini initramfs could never read the image.
  const bool on_boot_disk = placement_info(o.placement).device == ImageDevice::boot_filesystem &&
                            target.bootfs.hint.starts_with("/dev/");
  if (o.hostonly || on_boot_disk) {
    struct stat st;
    if (::stat(o.output_dir.c_str(), &st) != 0) return sys_error("stat", o.output_dir);
    // Test seam (tests/boot/builder_layouts.sh): a stand-in for /sys that
    // puts the boot filesystem's loop device behind a disk controller.
    const char* sysfs = ::getenv("INITOVERLAYFS_TEST_SYSFS");
    auto found = modules_for_block_device(sysfs ? sysfs : "/sys", major(st.st_dev), minor(st.st_dev));
    if (o.hostonly) {
      in.host_modules = TRY(std::move(found));
    } else if (found) {
      in.boot_disk_modules = std::move(*found);
      say("drivers of the boot filesystem's device (", target.bootfs.hint, "): ",
          in.boot_disk_modules.empty() ? "none (built in)" : join_words(in.boot_disk_modules));
    } else {
      say("cannot read the drivers of ", target.bootfs.hint, " from /sys (",
          found.error().message(), "): the generic set of storage drivers is not checked against them");
    }
  }
  if (auto alias_text = sys::read_file(kernel.moddir + "/modules.alias", 64 << 20))
    in.modules_alias = std::move(*alias_text);
  ModuleChoice choice = choose_modules(in, index);
  for (const std::string& note : choice.notes) say(note);
  if (choice.bootfs_type_guessed)
    say("boot filesystem type unknown: adding ext4 and vfat (use --bootfstype)");
  if (!in.modules_alias) say("no modules.alias in ", kernel.moddir, ": every module loads at start");
  const ModuleClosure& modules = choice.closure;
  if (!choice.boot_disk_missing.empty())
    return fail("module",
                str(join_words(choice.boot_disk_missing), ": the boot filesystem's device (",
                    target.bootfs.hint, ") needs it, and ", kernel.moddir,
                    " has it neither as a module nor built in, so the mini initramfs could "
                    "not read the image; build for a kernel that has it, or put the image "
                    "inside the mini initramfs with --placement initrd"));
  for (const std::string& d : o.drivers)
    if (std::find(modules.missing.begin(), modules.missing.end(), d) != modules.missing.end())
      return fail("module", str(d, ": not found in ", kernel.moddir, " (--drivers)"));
  say(modules.plan.size(), " module files; built in: ",
      modules.builtin.empty() ? "none" : join_words(modules.builtin),
      "; not available: ", modules.missing.empty() ? "none" : join_words(modules.missing));
  return choice;
}

}  // namespace iofs
