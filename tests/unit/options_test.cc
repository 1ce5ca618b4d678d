#include "builder/options.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <set>

#include "man_page.h"

using namespace iofs;

static Result<BuilderOptions> parse(std::vector<std::string> a) { return parse_builder_options(a); }

// A command line as the hooks give it leaves most options out: each row
// names the option, words initoverlayfs-install(8) uses for what happens
// without it, and checks what the parsed options hold.
TEST(BuilderOptions, OmittedOptionsTakeTheDefaultsTheManualDocuments) {
  auto o = parse({"--kver", "6.12.1", "--initramfs", "/boot/initrd.img-6.12.1"});
  ASSERT_TRUE(o) << o.error().message();
  struct Row {
    const char* tag;  // how the paragraph's tag starts
    const char* documented;
    bool holds;
  } rows[] = {
      {"--output-dir", "default /boot.", o->output_dir == "/boot"},
      {"--arch", "default: the one the modules are built for", o->arch.empty()},
      {"-f, --force", "without it an existing file is an error", !o->force},
      {"--placement bootfs", "(default)", o->placement == Placement::bootfs},
      {"--mode", "init (the default)", o->boot_mode == BootMode::init && !o->dracut_wrapper},
      {"--lowerfs", "erofs (default", o->lowerfs == "erofs"},
      {"--compression", "lz4hc (default, level 12",
       o->image_compression == "lz4hc" && o->image_level == 12},
      {"--initramfs-compression", "zstd (default", o->initramfs_compression == "zstd"},
      {"--verity-on-corruption", "EIO (default)", o->verity_on_corruption == "eio" && !o->verity},
      {"--hostonly", "instead of the generic storage set", !o->hostonly && o->drivers.empty()},
      {"--config", "instead of /etc/initoverlayfs/install.conf",
       o->config_file == "/etc/initoverlayfs/install.conf" && !o->config_file_given},
      {"--rescue-shell", "Without it the mini initramfs has no shell.", o->rescue_busybox.empty()},
      {"--placement pmem", "uncompressed unless --compression is given",
       parse({"--placement", "pmem"}).value().image_compression == "none" &&
           parse({"--placement", "pmem", "--compression", "lz4"}).value().image_compression ==
               "lz4"},
  };
  auto options = man::tagged_paragraphs(man::read_page("initoverlayfs-install.8"), "OPTIONS");
  ASSERT_GT(options.size(), 20u) << "the OPTIONS section of initoverlayfs-install.8 not found";
  for (const Row& r : rows) {
    SCOPED_TRACE(r.tag);
    EXPECT_TRUE(r.holds) << "without " << r.tag << " the options are not the documented default";
    auto p = std::find_if(options.begin(), options.end(),
                          [&](const man::Paragraph& p) { return p.tag.starts_with(r.tag); });
    ASSERT_NE(p, options.end()) << "initoverlayfs-install.8 has no paragraph " << r.tag;
    EXPECT_NE(p->text.find(r.documented), std::string::npos)
        << "initoverlayfs-install.8 no longer says '" << r.documented << "': " << p->text;
  }
}

TEST(BuilderOptions, EveryOption) {
  auto o = parse({"-f", "--kver", "6.12.1", "--moddir=/m", "--rootdir", "/r", "--output-dir", "/o",
                  "--initramfs-name", "mini.img", "--image-name", "img.erofs", "--bootfs",
                  "LABEL=b", "--bootfstype", "ext4", "--bootfs-path", "/boot",
                  "--compression", "lz4hc,9", "--initramfs-compression", "xz", "--drivers",
                  "nvme,ahci", "--drivers", "xfs", "--hostonly", "-v", "--set", "timeout=5",
                  "--set=onfailure=reboot", "--early-boot-program", "/p"});
  ASSERT_TRUE(o) << o.error().message();
  EXPECT_TRUE(o->force);
  EXPECT_TRUE(o->verbose);
  EXPECT_TRUE(o->hostonly);
  EXPECT_EQ(o->kver, "6.12.1");
  EXPECT_EQ(o->moddir, "/m");
  EXPECT_EQ(o->rootdir, "/r");
  EXPECT_EQ(o->bootfs_path, "/boot");
  EXPECT_EQ(o->image_level, 9);
  EXPECT_EQ(o->initramfs_compression, "xz");
  EXPECT_EQ(o->drivers, (std::vector<std::string>{"nvme", "ahci", "xfs"}));
  ASSERT_EQ(o->settings.size(), 2u);
  EXPECT_EQ(o->settings[1].second, "reboot");
  EXPECT_EQ(o->early_boot_program, "/p");
}

TEST(BuilderOptions, Errors) {
  struct Case {
    std::vector<std::string> args;
    std::string says;
  } cases[] = {
      {{"--kver"}, "--kver needs a value"},
      {{"--bogus"}, "unknown option '--bogus'"},
      {{"--initramfs", "a", "--rootdir", "b"}, "exclude each other"},
      {{"--compression", "zstd"}, "not one of lz4hc, lz4, none"},
      {{"--compression", "lz4,3"}, "a level (0-12) goes with lz4hc only"},
      {{"--compression", "lz4hc,13"}, "a level"},
      {{"--initramfs-compression", "brotli"}, "zstd, gzip, xz, lz4 or none"},
      {{"--set", "timeout"}, "--set takes KEY=VALUE"},
      {{"--set", "nosuchkey=1"}, "unknown key 'nosuchkey'"},
      {{"--set", "timeout=soon"}, "bad value 'soon'"},
      {{"--image-name", "../x"}, "file names, not paths"},
      {{"-f=1"}, "unknown option"},
      {{"--force=yes"}, "takes no value"},
  };
  for (const Case& c : cases) {
    auto o = parse(c.args);
    ASSERT_FALSE(o) << c.says;
    EXPECT_NE(o.error().message().find(c.says), std::string::npos) << o.error().message();
  }
}

namespace {

// The long and short names of the option table.
std::set<std::string> table_names() {
  std::set<std::string> names;
  for (const BuilderOption& o : builder_option_table()) {
    names.emplace(o.name);
    if (!o.short_name.empty()) names.emplace(o.short_name);
  }
  return names;
}

}  // namespace

// Every option in the table reaches its handler: none is "unknown", one that
// takes a value wants it, one that takes none refuses one.
TEST(BuilderOptions, EveryOptionInTheTableIsParsed) {
  ASSERT_GT(builder_option_table().size(), 25u);
  for (const BuilderOption& opt : builder_option_table()) {
    std::vector<std::string> names{std::string(opt.name)};
    if (!opt.short_name.empty()) names.emplace_back(opt.short_name);
    for (const std::string& name : names) {
      SCOPED_TRACE(name);
      BuilderOptions o;
      std::vector<std::string> argv{name};
      if (opt.value == OptionValue::required) argv.emplace_back("x");
      auto r = parse_builder_args(argv, o);
      if (!r) {
        EXPECT_EQ(r.error().message().find("unknown option"), std::string::npos) << r.error().message();
        EXPECT_EQ(r.error().message().find("not handled"), std::string::npos) << r.error().message();
      }
      if (opt.value == OptionValue::required) {
        BuilderOptions alone;
        auto missing = parse_builder_args({name}, alone);
        ASSERT_FALSE(missing) << "accepted without its value";
        EXPECT_NE(missing.error().message().find("needs a value"), std::string::npos)
            << missing.error().message();
      } else if (name.starts_with("--") && opt.value != OptionValue::optional) {
        BuilderOptions inl;
        auto given = parse_builder_args({name + "=x"}, inl);
        ASSERT_FALSE(given) << "accepted a value";
        EXPECT_NE(given.error().message().find("takes no value"), std::string::npos)
            << given.error().message();
      }
    }
  }
  BuilderOptions o;
  auto r = parse_builder_args({"--not-in-the-table"}, o);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("unknown option '--not-in-the-table'"), std::string::npos);
}

// --inspect's file is optional: given as the next word or after "=", and
// not taken from an option that follows.
TEST(BuilderOptions, InspectTakesAnOptionalFile) {
  auto alone = parse_builder_options({"--inspect"});
  ASSERT_TRUE(alone) << alone.error().message();
  EXPECT_EQ(alone->mode, Mode::inspect);
  EXPECT_EQ(alone->inspect_file, "");
  auto word = parse_builder_options({"--inspect", "/boot/initrd.img-6.12"});
  ASSERT_TRUE(word);
  EXPECT_EQ(word->inspect_file, "/boot/initrd.img-6.12");
  auto inl = parse_builder_options({"--inspect=/boot/x"});
  ASSERT_TRUE(inl);
  EXPECT_EQ(inl->inspect_file, "/boot/x");
  auto then_option = parse_builder_options({"--inspect", "-v"});
  ASSERT_TRUE(then_option);
  EXPECT_EQ(then_option->inspect_file, "");
  EXPECT_TRUE(then_option->verbose);
}

// --help lists exactly the options of the table.
TEST(BuilderOptions, HelpListsEveryOptionOfTheTable) {
  const std::string usage = builder_usage();
  std::set<std::string> in_help;
  for (size_t at = usage.find('-'); at != std::string::npos; at = usage.find('-', at + 1)) {
    if (at > 0 && usage[at - 1] != ' ' && usage[at - 1] != '(') continue;  // inside a word
    size_t end = at + 1;
    while (end < usage.size() && (usage[end] == '-' || std::islower(static_cast<unsigned char>(usage[end]))))
      ++end;
    if (end > at + 1 && usage[at + 1] != '-' && end - at != 2) continue;  // "-static" is no option
    if (end > at + 1) in_help.insert(usage.substr(at, end - at));
    at = end - 1;
  }
  const std::set<std::string> table = table_names();
  for (const std::string& name : table) EXPECT_TRUE(in_help.contains(name)) << "--help lacks " << name;
  for (const std::string& name : in_help)
    EXPECT_TRUE(table.contains(name)) << "--help shows " << name << ", which is not in the option table";
}

// initoverlayfs-install(8) documents exactly the options of the table.
TEST(BuilderOptions, ManualDocumentsEveryOptionOfTheTable) {
  std::set<std::string> documented;
  for (const auto& p : man::tagged_paragraphs(man::read_page("initoverlayfs-install.8"), "OPTIONS"))
    for (const std::string& name : man::options_in_tag(p.tag)) documented.insert(name);
  const std::set<std::string> table = table_names();
  for (const std::string& name : table)
    EXPECT_TRUE(documented.contains(name)) << "initoverlayfs-install.8 does not document " << name;
  for (const std::string& name : documented)
    EXPECT_TRUE(table.contains(name)) << "initoverlayfs-install.8 documents " << name
                                      << ", which is not in the option table";
}

// --set applied last used to undo options silently: --set verity=0 on a
// --verity build made a mini initramfs that mounts the image unchecked.
TEST(BuilderOptions, SetCannotUndoWhatTheBuilderWrites) {
  auto v = parse({"--verity", "--set", "verity=0"});
  ASSERT_FALSE(v);
  EXPECT_NE(v.error().message().find("--set verity=0: the verity settings are written from the "
                                     "image's hash tree"),
            std::string::npos)
      << v.error().message();
  EXPECT_FALSE(parse({"--set", "verity_root_hash=00"}));
  for (const char* kv : {"placement=initrd", "bootfs=LABEL=x", "fs=other.img", "fstype=ext4",
                         "modules=/dev/null", "bootfstype=vfat", "bootfs_hint=/dev/vda"}) {
    auto r = parse({"--set", kv});
    ASSERT_FALSE(r) << kv;
    EXPECT_NE(r.error().message().find("the builder writes"), std::string::npos) << kv;
  }
  // What the builder does not decide stays settable.
  EXPECT_TRUE(parse({"--set", "timeout=5", "--set", "onfailure=reboot", "--set", "root_layout=overlay"}));
}
