#include "builder/host_config.h"

#include <array>

#include "builder/options.h"
#include "core/strings.h"
#include "core/sys.h"

namespace iofs {
namespace {

// Options that say what one run reads and writes, or how this run behaves,
// rather than how every pair on the machine is made.
constexpr std::array kPerRunOptions = {
    "kver", "moddir", "initramfs", "rootdir", "initramfs-name", "image-name", "force",
    "help", "version", "config", "no-config", "hook", "write-partition", "no-hostonly",
};

std::optional<bool> parse_yes_no(std::string_view s) {
  if (s.empty() || s == "yes" || s == "true" || s == "on" || s == "1") return true;
  if (s == "no" || s == "false" || s == "off" || s == "0") return false;
  return std::nullopt;
}

}  // namespace

Result<HostConfig> parse_host_config(std::string_view text, const std::string& name) {
  HostConfig cfg;
  int lineno = 0;
  for (std::string_view raw : split_lines(text)) {
    ++lineno;
    auto bad = [&](std::string_view why) { return fail("", str(name, ":", lineno, ": ", why)); };
    std::string_view line = trim(raw);
    if (line.empty() || line.starts_with('#')) continue;
    size_t sep = 0;
    while (sep < line.size() && !is_space(line[sep]) && line[sep] != '=') ++sep;
    std::string key(line.substr(0, sep));
    std::string_view value = trim(line.substr(sep));
    if (value.starts_with('=')) value = trim(value.substr(1));
    if (key.empty()) return bad(str("no key in '", line, "'"));
    if (key.starts_with('-')) return bad(str("keys are written without dashes: '", key, "'"));
    if (key == "hooks") {
      auto on = parse_yes_no(value);
      if (!on) return bad(str("hooks takes yes or no, not '", value, "'"));
      cfg.hooks = *on;
      continue;
    }
    for (const char* per_run : kPerRunOptions)
      if (key == per_run)
        return bad(str("'", key, "' is for the command line, not for the defaults file"));
    // A flag option takes no value on the command line; asking the parser
    // keeps this file in step with every option it knows.
    BuilderOptions probe;
    const std::string option = "--" + key;
    auto alone = parse_builder_args({option}, probe);
    if (alone) {
      auto on = parse_yes_no(value);
      if (!on) return bad(str(key, " takes yes or no, not '", value, "'"));
      if (*on) cfg.args.push_back(option);
      continue;
    }
    if (alone.error().detail.starts_with("unknown option"))
      return bad(str("unknown key '", key, "'"));
    if (value.empty()) return bad(str(key, " needs a value"));
    probe = BuilderOptions{};
    if (auto r = parse_builder_args({option, std::string(value)}, probe); !r)
      return bad(r.error().detail);
    cfg.args.push_back(option);
    cfg.args.emplace_back(value);
  }
  return cfg;
}

Result<HostConfig> read_host_config(const BuilderOptions& o) {
  if (o.no_config) return HostConfig{};
  if (!o.config_file_given && !sys::exists(o.config_file)) return HostConfig{};
  std::string text = TRY(sys::read_file(o.config_file, 1 << 20));
  return parse_host_config(text, o.config_file);
}

}  // namespace iofs
