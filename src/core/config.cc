#include "core/config.h"

#include "core/erofs_superblock.h"
#include "core/strings.h"

namespace iofs {

std::optional<FailureAction> parse_failure_action(std::string_view s) {
  if (s == "shell") return FailureAction::shell;
  if (s == "reboot") return FailureAction::reboot;
  if (s == "poweroff") return FailureAction::poweroff;
  if (s == "halt") return FailureAction::halt;
  return std::nullopt;
}

std::string_view to_string(FailureAction a) {
  switch (a) {
    case FailureAction::shell: return "shell";
    case FailureAction::reboot: return "reboot";
    case FailureAction::poweroff: return "poweroff";
    case FailureAction::halt: return "halt";
  }
  return "halt";
}

std::optional<BreakPoint> parse_break_point(std::string_view s) {
  if (s.empty() || s == "pre-switch") return BreakPoint::pre_switch;
  if (s == "none") return BreakPoint::none;
  return std::nullopt;
}

std::string_view to_string(BreakPoint b) {
  return b == BreakPoint::pre_switch ? "pre-switch" : "none";
}

std::optional<RootLayout> parse_root_layout(std::string_view s) {
  if (s == "overlay") return RootLayout::overlay;
  if (s == "tmpfs") return RootLayout::tmpfs;
  return std::nullopt;
}

std::string_view to_string(RootLayout l) {
  return l == RootLayout::tmpfs ? "tmpfs" : "overlay";
}

std::optional<VerityOnCorruption> parse_verity_on_corruption(std::string_view s) {
  if (s == "eio") return VerityOnCorruption::eio;
  if (s == "restart") return VerityOnCorruption::restart;
  if (s == "panic") return VerityOnCorruption::panic;
  return std::nullopt;
}

std::string_view to_string(VerityOnCorruption v) {
  switch (v) {
    case VerityOnCorruption::eio: return "eio";
    case VerityOnCorruption::restart: return "restart";
    case VerityOnCorruption::panic: return "panic";
  }
  return "eio";
}

std::optional<std::chrono::milliseconds> parse_duration(std::string_view s) {
  int64_t scale = 1000;
  if (s.ends_with("ms")) {
    scale = 1;
    s.remove_suffix(2);
  } else if (s.ends_with('s')) {
    s.remove_suffix(1);
  } else if (s.ends_with('m')) {
    scale = 60000;
    s.remove_suffix(1);
  }
  auto n = parse_int<int64_t>(s);
  if (!n || *n < 0 || *n > int64_t{24} * 3600 * 1000 / scale) return std::nullopt;
  return std::chrono::milliseconds(*n * scale);
}

static std::optional<bool> parse_bool(std::string_view s) {
  if (s == "1" || s == "yes" || s == "true" || s == "on") return true;
  if (s == "0" || s == "no" || s == "false" || s == "off") return false;
  return std::nullopt;
}

// A tmpfs size= value: a number with an optional k/m/g suffix, or a percentage.
static bool valid_tmpfs_size(std::string_view s) {
  if (s.empty()) return false;
  char last = s.back();
  if (last == '%' || last == 'k' || last == 'K' || last == 'm' || last == 'M' ||
      last == 'g' || last == 'G')
    s.remove_suffix(1);
  return parse_int<uint64_t>(s).has_value();
}

// Lowercase hex digits, an even number of them (whole bytes).
static std::optional<std::string> parse_hex(std::string_view s) {
  if (s.empty() || s.size() % 2 != 0) return std::nullopt;
  std::string out;
  for (char c : s) {
    if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return std::nullopt;
    out += c;
  }
  return out;
}

// The verity_* keys and verity itself; nullopt when `key` is none of them.
static std::optional<std::optional<std::string>> apply_verity_setting(
    VerityConfig& v, std::string_view key, std::string_view value) {
  using Outcome = std::optional<std::string>;
  auto bad = [&](std::string_view why) -> Outcome {
    return str("bad value '", value, "' for ", key, ": ", why);
  };
  if (key == "verity") {
    auto b = parse_bool(value);
    if (!b) return bad("expected 0 or 1");
    v.enabled = *b;
    return Outcome{};
  }
  if (key == "verity_root_hash") {
    auto h = parse_hex(value);
    if (!h) return bad("expected hex digits");
    v.root_hash = *h;
    return Outcome{};
  }
  if (key == "verity_salt") {
    if (value == "-") {
      v.salt = "-";
      return Outcome{};
    }
    auto h = parse_hex(value);
    if (!h) return bad("expected hex digits or -");
    v.salt = *h;
    return Outcome{};
  }
  if (key == "verity_data_block_size" || key == "verity_hash_block_size") {
    auto n = parse_int<uint32_t>(value);
    if (!n || *n < 512 || *n > 65536 || (*n & (*n - 1)) != 0)
      return bad("expected a power of two from 512 to 65536");
    (key == "verity_data_block_size" ? v.data_block_size : v.hash_block_size) = *n;
    return Outcome{};
  }
  if (key == "verity_data_blocks" || key == "verity_hash_offset") {
    auto n = parse_int<uint64_t>(value);
    if (!n) return bad("expected a number");
    (key == "verity_data_blocks" ? v.data_blocks : v.hash_offset) = *n;
    return Outcome{};
  }
  if (key == "verity_hash_algorithm") {
    bool ok = !value.empty();
    for (char c : value)
      ok = ok && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-');
    if (!ok) return bad("expected a kernel hash name like sha256");
    v.hash_algorithm = value;
    return Outcome{};
  }
  if (key == "verity_on_corruption") {
    auto o = parse_verity_on_corruption(value);
    if (!o) return bad("expected eio, restart or panic");
    v.on_corruption = *o;
    return Outcome{};
  }
  if (key == "verity_root_hash_sig") {
    if (!value.starts_with('/')) return bad("expected an absolute path");
    v.root_hash_sig = value;
    return Outcome{};
  }
  return std::nullopt;
}

std::optional<std::string> apply_setting(Config& cfg, std::string_view key,
                                         std::string_view value) {
  auto bad = [&](std::string_view why) {
    return str("bad value '", value, "' for ", key, ": ", why);
  };
  auto path_value = [&](std::string& field) -> std::optional<std::string> {
    if (value.empty()) return bad("empty");
    field = value;
    return std::nullopt;
  };
  if (key == "bootfs") return path_value(cfg.bootfs);
  if (key == "bootfs_hint") return path_value(cfg.bootfs_hint);
  if (key == "bootfstype") return path_value(cfg.bootfstype);
  if (key == "bootfs_options") return path_value(cfg.bootfs_options);
  if (key == "fstype") return path_value(cfg.fstype);
  if (key == "fs_options") {
    cfg.fs_options = value;
    return std::nullopt;
  }
  if (key == "fs") {
    if (value.empty()) return bad("empty");
    // The image path is relative to the boot filesystem's root; a leading
    // '/' (as the original project wrote it) means the same.
    while (value.starts_with('/')) value.remove_prefix(1);
    if (value.empty()) return bad("names no file");
    cfg.fs = value;
    return std::nullopt;
  }
  if (key == "fs_uuid") {
    // Empty switches the check off (initoverlayfs.fs_uuid= with another fs).
    auto u = value.empty() ? std::optional<std::string>("") : canonical_uuid(value);
    if (!u) return bad("expected a UUID like 2f1c8e4a-6b3d-4e5f-9a7b-0c1d2e3f4a5b");
    cfg.fs_uuid = *u;
    return std::nullopt;
  }
  if (key == "modules") {
    cfg.modules = value;  // empty: no load plan
    return std::nullopt;
  }
  if (key == "timeout") {
    auto d = parse_duration(value);
    if (!d) return bad("expected a duration like 30, 30s or 500ms");
    cfg.timeout = *d;
    return std::nullopt;
  }
  if (key == "module_timeout") {
    auto d = parse_duration(value);
    if (!d) return bad("expected a duration like 60, 60s or 500ms");
    // 0 would fail every boot that loads a module: no wait is that short.
    if (d->count() == 0) return bad("must be longer than 0");
    cfg.module_timeout = *d;
    return std::nullopt;
  }
  if (key == "placement") {
    auto p = parse_config_placement(value);
    if (!p) return bad(str("expected ", config_placement_names()));
    cfg.placement = *p;
    return std::nullopt;
  }
  if (key == "onfailure") {
    auto a = parse_failure_action(value);
    if (!a) return bad("expected shell, reboot, poweroff or halt");
    cfg.onfailure = a;
    return std::nullopt;
  }
  if (key == "break") {
    auto b = parse_break_point(value);
    if (!b) return bad("expected pre-switch or none");
    cfg.break_at = *b;
    return std::nullopt;
  }
  if (key == "tmpfs_size") {
    if (!valid_tmpfs_size(value)) return bad("expected a size like 512M or 50%");
    cfg.tmpfs_size = value;
    return std::nullopt;
  }
  if (key == "init") {
    if (!value.starts_with('/')) return bad("expected an absolute path");
    cfg.init = value;
    return std::nullopt;
  }
  if (key == "root_layout") {
    auto l = parse_root_layout(value);
    if (!l) return bad("expected overlay or tmpfs");
    cfg.root_layout = *l;
    return std::nullopt;
  }
  if (key == "debug") {
    auto b = value.empty() ? std::optional<bool>(true) : parse_bool(value);
    if (!b) return bad("expected 0 or 1");
    cfg.debug = *b;
    return std::nullopt;
  }
  if (auto outcome = apply_verity_setting(cfg.verity, key, value)) return *outcome;
  return str("unknown key '", key, "'");
}

static bool is_verity_key(std::string_view key) {
  return key == "verity" || key.starts_with("verity_");
}

// With verity required, the keys besides verity's own that change what is
// mounted or what runs: another image file or filesystem type, mount
// options (on the image or the boot filesystem), modules to load, the
// next init, and the two ways to a shell (break, onfailure shell). The
// root hash already refuses any other image's blocks; these stay as
// built so that a boot loader prompt changes nothing of what runs.
static bool is_locked_by_verity(std::string_view key) {
  static constexpr std::string_view kLocked[] = {"fs",      "fstype", "fs_options", "bootfs_options",
                                                 "modules", "init",   "break",      "onfailure"};
  for (std::string_view k : kLocked)
    if (key == k) return true;
  return false;
}

std::vector<std::string> apply_cmdline_overrides(
    Config& cfg, const std::vector<std::pair<std::string, std::string>>& overrides) {
  // Decided by the config file alone: an override that enables verity
  // (more checking) is fine, and its own verity_* keys must then apply.
  const bool locked = cfg.verity.enabled;
  std::vector<std::string> warnings;
  for (const auto& [key, value] : overrides) {
    if (locked && is_verity_key(key)) {
      warnings.push_back(str("initoverlayfs.", key, ": refused: the configuration requires "
                             "dm-verity, whose settings the kernel command line cannot change"));
      continue;
    }
    if (locked && is_locked_by_verity(key)) {
      warnings.push_back(str("initoverlayfs.", key, ": refused: the configuration requires "
                             "dm-verity, and what is mounted or run comes from it alone"));
      continue;
    }
    if (auto w = apply_setting(cfg, key, value))
      warnings.push_back(str("initoverlayfs.", key, ": ", *w));
  }
  return warnings;
}

std::optional<std::string> verity_config_problem(const VerityConfig& v) {
  if (v.root_hash.empty()) return "no verity_root_hash";
  if (v.data_blocks == 0) return "no verity_data_blocks";
  if (v.data_blocks > UINT64_MAX / v.data_block_size) return "verity_data_blocks too large";
  if (v.hash_offset % v.hash_block_size != 0)
    return str("verity_hash_offset ", v.hash_offset, " is not a multiple of the hash block size ",
               v.hash_block_size);
  if (v.hash_offset < v.data_blocks * v.data_block_size)
    return str("verity_hash_offset ", v.hash_offset, " lies inside the ", v.data_blocks,
               " data blocks");
  return std::nullopt;
}

void parse_config(std::string_view text, Config& cfg,
                  std::vector<std::string>& warnings) {
  int lineno = 0;
  for (std::string_view raw : split_lines(text)) {
    ++lineno;
    std::string_view line = trim(raw);
    if (line.empty() || line.starts_with('#')) continue;
    size_t sep = 0;
    while (sep < line.size() && !is_space(line[sep]) && line[sep] != '=') ++sep;
    std::string_view key = line.substr(0, sep);
    std::string_view value = trim(line.substr(sep));
    // Tolerate "key=value" and "key = value" as well as "key value".
    if (value.starts_with('=')) value = trim(value.substr(1));
    if (key.empty()) {
      warnings.push_back(str("line ", lineno, ": no key in '", line, "'"));
      continue;
    }
    if (auto w = apply_setting(cfg, key, value))
      warnings.push_back(str("line ", lineno, ": ", *w));
  }
}

std::string format_config(const Config& cfg) {
  std::string out = "# initoverlayfs configuration, see initoverlayfs.conf(5)\n";
  auto put = [&](std::string_view key, std::string_view value) {
    if (!value.empty()) out += str(key, ' ', value, '\n');
  };
  if (cfg.placement != Placement::bootfs) put("placement", to_string(cfg.placement));
  put("bootfs", cfg.bootfs);
  put("bootfs_hint", cfg.bootfs_hint);
  put("bootfstype", cfg.bootfstype);
  put("bootfs_options", cfg.bootfs_options);
  put("fs", cfg.fs);
  put("fs_uuid", cfg.fs_uuid);
  put("fstype", cfg.fstype);
  put("fs_options", cfg.fs_options);
  put("modules", cfg.modules);
  put("timeout", str(cfg.timeout.count(), "ms"));
  // Only when set: the files written before the key existed stay as they were.
  if (cfg.module_timeout != Config{}.module_timeout)
    put("module_timeout", str(cfg.module_timeout.count(), "ms"));
  if (cfg.onfailure) put("onfailure", to_string(*cfg.onfailure));
  if (cfg.break_at != BreakPoint::none) put("break", to_string(cfg.break_at));
  put("tmpfs_size", cfg.tmpfs_size);
  put("init", cfg.init);
  if (cfg.root_layout != RootLayout::overlay) put("root_layout", to_string(cfg.root_layout));
  if (cfg.debug) put("debug", "1");
  if (const VerityConfig& v = cfg.verity; v.enabled) {
    put("verity", "1");
    put("verity_root_hash", v.root_hash);
    put("verity_salt", v.salt);
    put("verity_data_block_size", std::to_string(v.data_block_size));
    put("verity_hash_block_size", std::to_string(v.hash_block_size));
    put("verity_data_blocks", std::to_string(v.data_blocks));
    put("verity_hash_offset", std::to_string(v.hash_offset));
    put("verity_hash_algorithm", v.hash_algorithm);
    put("verity_on_corruption", to_string(v.on_corruption));
    put("verity_root_hash_sig", v.root_hash_sig);
  }
  return out;
}

}  // namespace iofs
