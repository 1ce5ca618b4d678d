#include "builder/module_plan.h"

#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <algorithm>

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
  if (o.hostonly) {
    struct stat st;
    if (::stat(o.output_dir.c_str(), &st) != 0) return sys_error("stat", o.output_dir);
    in.host_modules = TRY(modules_for_block_device("/sys", major(st.st_dev), minor(st.st_dev)));
  }
  if (auto alias_text = sys::read_file(kernel.moddir + "/modules.alias", 64 << 20))
    in.modules_alias = std::move(*alias_text);
  ModuleChoice choice = choose_modules(in, index);
  for (const std::string& note : choice.notes) say(note);
  if (choice.bootfs_type_guessed)
    say("boot filesystem type unknown: adding ext4 and vfat (use --bootfstype)");
  if (!in.modules_alias) say("no modules.alias in ", kernel.moddir, ": every module loads at start");
  const ModuleClosure& modules = choice.closure;
  for (const std::string& d : o.drivers)
    if (std::find(modules.missing.begin(), modules.missing.end(), d) != modules.missing.end())
      return fail("module", str(d, ": not found in ", kernel.moddir, " (--drivers)"));
  say(modules.plan.size(), " module files; built in: ",
      modules.builtin.empty() ? "none" : join_words(modules.builtin),
      "; not available: ", modules.missing.empty() ? "none" : join_words(modules.missing));
  return choice;
}

}  // namespace iofs
