#include "init/boot_config.h"

#include <vector>

#include "core/cmdline.h"
#include "core/log.h"
#include "core/strings.h"
#include "core/sys.h"

namespace iofs {

Result<void> read_boot_config(Config& cfg, std::string* rdinit, ModuleCmdline* modules) {
  std::vector<std::string> warnings;
  if (auto text = sys::read_file(kConfigPath))
    parse_config(*text, cfg, warnings);
  else
    log::warning(text.error().message());
  for (const std::string& w : warnings) log::warning(kConfigPath, ": ", w);

  if (auto cmdline = sys::read_file("/proc/cmdline")) {
    const std::vector<KernelParam> params = parse_kernel_cmdline(*cmdline);
    CmdlineSettings s = extract_settings(params);
    if (rdinit && s.rdinit) *rdinit = *s.rdinit;
    if (modules) *modules = extract_module_cmdline(params);
    for (const std::string& w : apply_cmdline_overrides(cfg, s.overrides))
      log::warning("kernel command line: ", w);
  }
  log::set_debug(cfg.debug);
  const PlacementInfo& placement = placement_info(cfg.placement);
  if (cfg.bootfs.empty() && placement.device != ImageDevice::none)
    return fail("no boot filesystem configured",
                str("(set bootfs in ", kConfigPath, " or initoverlayfs.bootfs=)"));
  if (cfg.fs.empty() && placement.image_file_named)
    return fail("no image configured", str("(set fs in ", kConfigPath, " or initoverlayfs.fs=)"));
  if (cfg.verity.enabled)
    if (auto problem = verity_config_problem(cfg.verity))
      return fail("verity is required but its settings are incomplete:",
                  str(*problem, " (", kConfigPath, ")"));
  return {};
}

}  // namespace iofs
