#include "builder/dracut_args.h"

#include <algorithm>
#include <string_view>

#include "builder/options.h"

namespace iofs {

namespace {

// dracut's options that take a value (dracut.sh's getopt call); -I and
// --include take two.
constexpr std::string_view kWithValue[] = {
    "-a", "-m", "-o", "-d", "-k", "-c", "-r", "-L",
    "--kver", "--add", "--force-add", "--add-drivers", "--force-drivers", "--omit-drivers",
    "--modules", "--omit", "--drivers", "--filesystems", "--install", "--install-optional",
    "--fwdir", "--libdirs", "--fscks", "--add-fstab", "--mount", "--device", "--add-device",
    "--kmoddir", "--conf", "--confdir", "--tmpdir", "--sysroot", "--stdlog", "--compress",
    "--squash-compressor", "--prefix", "--rebuild", "--kernel-cmdline", "--sshkey", "--logfile",
    "--hostonly-mode", "--persistent-policy", "--loginstall", "--uefi-stub",
    "--uefi-splash-image", "--kernel-image", "--hostonly-nics"};

bool takes_value(std::string_view opt) {
  return std::find(std::begin(kWithValue), std::end(kWithValue), opt) != std::end(kWithValue);
}

}  // namespace

Result<void> apply_dracut_args(const std::vector<std::string>& args, BuilderOptions& o) {
  auto bad = [](std::string what) { return fail("usage:", "--dracut: " + std::move(what)); };
  o.dracut_wrapper = true;
  std::vector<std::string> positional;
  std::string kver_option;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--") {
      positional.insert(positional.end(), args.begin() + i + 1, args.end());
      break;
    }
    if (arg.size() < 2 || arg[0] != '-') {
      positional.push_back(arg);
      continue;
    }
    std::string name = arg, inline_value;
    bool has_inline = false;
    if (size_t eq = arg.find('='); arg.starts_with("--") && eq != std::string::npos) {
      name = arg.substr(0, eq);
      inline_value = arg.substr(eq + 1);
      has_inline = true;
    }
    auto value = [&]() -> Result<std::string> {
      if (has_inline) return inline_value;
      if (i + 1 >= args.size()) return bad(name + " needs a value");
      return args[++i];
    };
    if (name == "-f" || name == "--force") o.force = true;
    else if (name == "-v" || name == "--verbose") o.verbose = true;
    else if (name == "-q" || name == "--quiet") o.dracut_args.push_back(arg);  // quiets dracut
    else if (name == "--kver") kver_option = TRY(value());
    else if (name == "--kmoddir") o.moddir = TRY(value());
    else if (name == "-I" || name == "--include") {
      if (i + 2 >= args.size()) return bad(name + " needs a source and a target");
      o.dracut_args.insert(o.dracut_args.end(), {arg, args[i + 1], args[i + 2]});
      i += 2;
    } else if (takes_value(name)) {
      std::string v = TRY(value());
      o.dracut_args.insert(o.dracut_args.end(), {name, v});
    } else {
      o.dracut_args.push_back(arg);
    }
  }
  if (positional.size() > 2)
    return bad("more than OUTPUT and KVER given: '" + positional[2] + "'");
  if (positional.size() == 2) {
    if (!kver_option.empty() && kver_option != positional[1])
      return bad("--kver " + kver_option + " and KVER " + positional[1] + " differ");
    kver_option = positional[1];
  }
  if (!kver_option.empty()) o.kver = kver_option;
  if (!positional.empty()) {
    const std::string& out = positional[0];
    size_t slash = out.rfind('/');
    o.output_dir = slash == std::string::npos ? "." : slash == 0 ? "/" : out.substr(0, slash);
    o.initramfs_name = out.substr(slash == std::string::npos ? 0 : slash + 1);
    if (o.initramfs_name.empty()) return bad("OUTPUT '" + out + "' names no file");
  }
  return {};
}

}  // namespace iofs
