#include "builder/config_text.h"

#include "builder/say.h"
#include "core/placement.h"
#include "core/strings.h"

namespace iofs {

std::string config_text(const BuilderOptions& o, const BootTarget& target,
                        const std::string& image_name, const InputTree& input,
                        const BuiltImage& image) {
  const std::optional<VerityConfig>& verity = image.verity;
  const PlacementInfo& placement = placement_info(o.placement);
  Config cfg;
  cfg.placement = placement.in_config;
  // DAX maps the pmem directly; dm-verity has to see every read, so a
  // verified image goes through the page cache instead.
  if (placement.dax && !verity) cfg.fs_options = "dax=always";
  if (verity) {
    cfg.verity = *verity;
    cfg.verity.on_corruption =
        parse_verity_on_corruption(o.verity_on_corruption).value_or(VerityOnCorruption::eio);
    if (!o.verity_sign_key.empty()) cfg.verity.root_hash_sig = str("/", kRootHashSigPath);
  }
  cfg.bootfs = target.bootfs.spec;
  cfg.bootfs_hint = target.bootfs.hint;
  cfg.bootfstype = target.bootfs.fstype;
  if (placement.image_file_named) cfg.fs = image_path_on_bootfs(target.bootfs, image_name);
  cfg.fs_uuid = image.fs_uuid;
  cfg.fstype = o.lowerfs;
  if (input.init_is_run_init_script) {
    cfg.root_layout = RootLayout::tmpfs;
    Say{o.verbose}("/init switches root with klibc's run-init, which needs a tmpfs root: root_layout tmpfs");
  }
  // udev loads the drivers in systemd mode: no load plan.
  if (o.boot_mode == BootMode::systemd) cfg.modules.clear();
  for (const auto& [k, v] : o.settings) (void)apply_setting(cfg, k, v);
  return format_config(cfg);
}

}  // namespace iofs
