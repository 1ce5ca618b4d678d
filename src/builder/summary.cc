#include "builder/summary.h"

#include <cstdio>
#include <initializer_list>
#include <string_view>
#include <utility>

#include "core/file_size.h"
#include "core/human.h"
#include "core/placement.h"
#include "core/strings.h"

namespace iofs {
namespace {

// The template with each {KEY} replaced by its value; other braces stay.
std::string fill_in(std::string_view tmpl,
                    std::initializer_list<std::pair<std::string_view, std::string>> values) {
  std::string out;
  while (!tmpl.empty()) {
    size_t open = tmpl.find('{');
    out += tmpl.substr(0, open);
    if (open == std::string_view::npos) break;
    tmpl.remove_prefix(open);
    bool replaced = false;
    for (const auto& [key, value] : values) {
      if (tmpl.size() > key.size() + 1 && tmpl.substr(1, key.size()) == key &&
          tmpl[key.size() + 1] == '}') {
        out += value;
        tmpl.remove_prefix(key.size() + 2);
        replaced = true;
        break;
      }
    }
    if (!replaced) {
      out += '{';
      tmpl.remove_prefix(1);
    }
  }
  return out;
}

std::string image_kind(const BuilderOptions& o) {
  if (o.lowerfs == "erofs") return "erofs, " + o.image_compression;
  if (o.lowerfs == "squashfs") return "squashfs, zstd";
  return o.lowerfs;
}

}  // namespace

void print_summary(const BuilderOptions& o, const Build& b, double seconds) {
  const PlacementInfo& placement = placement_info(o.placement);
  const ModuleClosure& modules = b.modules.closure;
  const std::string& image = b.outputs.image_final;
  const std::string& mini = b.outputs.mini_final;
  const std::string& device = b.target.bootfs.spec;
  std::vector<std::string> names;
  for (const PlannedModule& m : modules.plan) names.push_back(module_name(m.path));
  std::printf("initoverlayfs-install: kernel %s\n", b.kernel.kver.c_str());
  std::printf("  input           %s\n", b.input.description.c_str());
  if (!placement.appended)
    std::printf("  image           %s  %s (%s)\n", image.c_str(),
                human_size(file_size(image)).c_str(), image_kind(o).c_str());
  else
    std::printf("  image           inside the mini initramfs, as /%s (%s)\n",
                b.outputs.image_name.c_str(), image_kind(o).c_str());
  std::printf("  mini initramfs  %s  %s (%s, %zu modules%s)\n", mini.c_str(),
              human_size(file_size(mini)).c_str(), o.initramfs_compression.c_str(),
              modules.plan.size(),
              o.boot_mode == BootMode::systemd ? ", systemd mode: dracut with systemd and udev" : "");
  // pmem: the region the bootloader keeps is rounded up to what nd_pmem needs.
  const uint64_t region = (file_size(image) + (128u << 20) - 1) / (128u << 20) * (128u << 20);
  std::string copy = o.write_partition.empty()
                         ? str("copy ", image, " onto it (or use --write-partition DEV)")
                         : str(o.write_partition, " written onto it");
  std::fputs(fill_in(placement.summary,
                     {{"image", image},
                      {"device", device},
                      {"fs", image_path_on_bootfs(b.target.bootfs, b.outputs.image_name)},
                      {"region_mib", std::to_string(region >> 20)},
                      {"size", std::to_string(file_size(image))},
                      {"copy", copy}})
                 .c_str(),
             stdout);
  if (!b.target.placement_reason.empty())
    std::printf("  placement       %s, not bootfs: %s\n", placement.name.data(),
                b.target.placement_reason.c_str());
  if (const auto& verity = b.image.verity)
    std::printf("  verity          %s root hash %s, hash tree from byte %llu of the image,\n"
                "                  on corruption: %s%s\n",
                verity->hash_algorithm.c_str(), verity->root_hash.c_str(),
                static_cast<unsigned long long>(verity->hash_offset),
                o.verity_on_corruption.c_str(),
                o.verity_sign_key.empty() ? "" : ", root hash signed (PKCS#7)");
  if (!o.uki.empty())
    std::printf("  UKI             %s (systemd-stub, the kernel, this mini initramfs, its command "
                "line), %s\n", b.outputs.uki_final.c_str(),
                o.uki_sign_key.empty() ? "not signed" : str("signed with ", o.uki_sign_cert).c_str());
  std::printf("  modules         %s\n", names.empty() ? "none" : join_words(names).c_str());
  if (!modules.builtin.empty())
    std::printf("  built in        %s\n", join_words(modules.builtin).c_str());
  std::printf("  took            %.1f s\n", seconds);
}

}  // namespace iofs
