// The PE headers the builder reads (builder/pe.h: the stub, the kernel, and
// any .efi file on an ESP) and the UKI it lays out from them
// (builder/uki.h): valid samples, and every way a file can lie about its
// own size.
#include <gtest/gtest.h>

#include "builder/options.h"
#include "builder/pe.h"
#include "builder/uki.h"
#include "pe_sample.h"

using namespace iofs;
using iofs::test::put_le;
using iofs::test::sample_pe;

namespace {

std::string stub_like() {
  return sample_pe(kPeMachineX86_64, {{.name = ".text", .data = std::string(5000, 't'), .virtual_address = 0x1000},
                                      {.name = ".sdmagic", .data = "#### LoaderInfo: systemd-stub ####",
                                       .virtual_address = 0x3000},
                                      {.name = ".data", .data = "d", .virtual_address = 0x4000,
                                       .virtual_size = 0x2100}});
}

std::string error_of(std::string_view bytes) {
  auto pe = read_pe(bytes);
  return pe ? std::string("(parsed)") : pe.error().detail;
}

}  // namespace

TEST(Pe, ReadsMachineSectionsAndTheirAddresses) {
  const std::string b = stub_like();
  auto pe = read_pe(b);
  ASSERT_TRUE(pe) << pe.error().message();
  EXPECT_EQ(pe->machine, kPeMachineX86_64);
  EXPECT_EQ(pe->image_base, 0x140000000u);
  EXPECT_EQ(pe->section_alignment, 0x1000u);
  ASSERT_EQ(pe->sections.size(), 3u);
  EXPECT_EQ(pe->sections[0].name, ".text");
  EXPECT_EQ(pe->sections[1].name, ".sdmagic");
  EXPECT_EQ(pe->sections[1].vma, 0x140003000u);
  EXPECT_EQ(pe->sections[0].raw_size, 5120u);  // padded to FileAlignment
  ASSERT_NE(pe->section(".data"), nullptr);
  EXPECT_EQ(pe->section(".linux"), nullptr);
  // .data reaches 0x4000 + 0x2100 (its virtual size): the next free
  // address is the section alignment after that.
  EXPECT_EQ(pe->end_vma(), 0x140007000u);
}

TEST(Pe, SectionDataStopsAtTheVirtualSize) {
  const std::string b = stub_like();
  auto pe = read_pe(b);
  ASSERT_TRUE(pe);
  auto magic = pe_section_data(*pe, b, ".sdmagic");
  ASSERT_TRUE(magic);
  EXPECT_EQ(*magic, "#### LoaderInfo: systemd-stub ####");  // not the padding
  auto text = pe_section_data(*pe, b, ".text");
  ASSERT_TRUE(text);
  EXPECT_EQ(text->size(), 5000u);
  // A virtual size beyond the raw data (.bss-like): the raw data only.
  auto data = pe_section_data(*pe, b, ".data");
  ASSERT_TRUE(data);
  EXPECT_EQ(data->size(), 512u);
  EXPECT_FALSE(pe_section_data(*pe, b, ".initrd"));
}

TEST(Pe, RefusesWhatIsNotPe32Plus) {
  EXPECT_NE(error_of("").find("no MZ header"), std::string::npos);
  EXPECT_NE(error_of(std::string(4096, 'M')).find("no MZ header"), std::string::npos);
  std::string elf = "\x7f" "ELF" + std::string(4092, '\0');
  EXPECT_NE(error_of(elf).find("no MZ header"), std::string::npos);

  std::string b = stub_like();
  std::string no_sig = b;
  no_sig[iofs::test::kSamplePeOffset] = 'X';
  EXPECT_NE(error_of(no_sig).find("no PE signature"), std::string::npos);

  std::string pe32 = b;
  put_le(pe32, iofs::test::kSamplePeOffset + 24, 0x10b, 2);
  EXPECT_NE(error_of(pe32).find("not PE32+"), std::string::npos);

  for (uint32_t a : {0u, 3u, 0x1001u}) {
    std::string odd = b;
    put_le(odd, iofs::test::kSamplePeOffset + 24 + 32, a, 4);
    EXPECT_NE(error_of(odd).find("not a power of two"), std::string::npos) << a;
  }
}

TEST(Pe, RefusesOffsetsAndSizesPastTheEnd) {
  const std::string b = stub_like();
  const size_t pe_at = iofs::test::kSamplePeOffset;
  std::string far = b;
  put_le(far, 0x3c, 0xfffffff0u, 4);
  EXPECT_NE(error_of(far).find("PE header is past the end"), std::string::npos);
  std::string near_end = b;
  put_le(near_end, 0x3c, b.size() - 10, 4);
  EXPECT_NE(error_of(near_end).find("PE header is past the end"), std::string::npos);

  std::string big_opt = b;
  put_le(big_opt, pe_at + 4 + 16, 0xffff, 2);
  EXPECT_NE(error_of(big_opt).find("optional header is past the end"), std::string::npos);
  std::string small_opt = b;
  put_le(small_opt, pe_at + 4 + 16, 8, 2);
  EXPECT_NE(error_of(small_opt).find("optional header is too short (8 bytes)"), std::string::npos);

  std::string many = b;
  put_le(many, pe_at + 4 + 2, 0xffff, 2);
  EXPECT_NE(error_of(many).find("section table is past the end"), std::string::npos);

  // The second section's data: its size, then its offset, past the end.
  const size_t second = iofs::test::kSampleSectionTable + 40;
  std::string long_data = b;
  put_le(long_data, second + 16, b.size(), 4);
  EXPECT_NE(error_of(long_data).find("section .sdmagic: its data"), std::string::npos);
  std::string far_data = b;
  put_le(far_data, second + 20, 0xffffff00u, 4);
  EXPECT_NE(error_of(far_data).find("section .sdmagic: its data"), std::string::npos);
  std::string wrap = b;  // offset + size wraps around 32 bits
  put_le(wrap, second + 16, 0x200, 4);
  put_le(wrap, second + 20, 0xffffff00u, 4);
  EXPECT_FALSE(read_pe(wrap));
}

// A file cut anywhere before the end of its last section's data is refused:
// no prefix of it parses.
TEST(Pe, EveryTruncationIsRefused) {
  const std::string b = stub_like();
  for (size_t n = 0; n < b.size(); ++n) EXPECT_FALSE(read_pe(std::string_view(b).substr(0, n))) << n;
  EXPECT_TRUE(read_pe(b));
}

TEST(Uki, SectionsFollowTheStubAtItsAlignmentInOrder) {
  auto stub = read_pe(stub_like());
  ASSERT_TRUE(stub);
  auto laid = uki_layout(*stub, {{.name = ".osrel", .file = "/o", .size = 300},
                                 {.name = ".cmdline", .file = "/c", .size = 0x1000},
                                 {.name = ".initrd", .file = "/i", .size = 0x1001},
                                 {.name = ".linux", .file = "/k", .size = 7}});
  ASSERT_EQ(laid.size(), 4u);
  EXPECT_EQ(laid[0].vma, 0x140007000u);
  EXPECT_EQ(laid[1].vma, 0x140008000u);
  EXPECT_EQ(laid[2].vma, 0x140009000u);
  EXPECT_EQ(laid[3].vma, 0x14000b000u);
  EXPECT_EQ(laid[3].name, ".linux");
  EXPECT_EQ(laid[2].file, "/i");
  // No two overlap.
  for (size_t i = 0; i + 1 < laid.size(); ++i) EXPECT_LE(laid[i].vma + laid[i].size, laid[i + 1].vma);
}

TEST(Uki, ObjcopyAddsEachSectionAtItsAddress) {
  std::vector<UkiSection> s = {{.name = ".cmdline", .file = "/w/uki.cmdline", .size = 9, .vma = 0x140007000},
                               {.name = ".linux", .file = "/boot/vmlinuz-6.12", .size = 9, .vma = 0x140008000}};
  EXPECT_EQ(uki_objcopy_argv(s, "/stub.efi", "/w/out.efi"),
            (std::vector<std::string>{"objcopy", "--strip-all", "--add-section", ".cmdline=/w/uki.cmdline",
                                      "--change-section-vma", ".cmdline=0x140007000", "--add-section",
                                      ".linux=/boot/vmlinuz-6.12", "--change-section-vma", ".linux=0x140008000",
                                      "/stub.efi", "/w/out.efi"}));
}

TEST(Uki, StubByTheKernelsMachine) {
  EXPECT_EQ(default_uki_stub(kPeMachineX86_64).value(), "/usr/lib/systemd/boot/efi/linuxx64.efi.stub");
  EXPECT_EQ(default_uki_stub(kPeMachineArm64).value(), "/usr/lib/systemd/boot/efi/linuxaa64.efi.stub");
  auto riscv = default_uki_stub(0x5064);
  ASSERT_FALSE(riscv);
  EXPECT_NE(riscv.error().message().find("--uki-stub"), std::string::npos);
}

TEST(Uki, CommandLineWithoutTheBootLoadersWords) {
  EXPECT_EQ(cmdline_without_loader_words("BOOT_IMAGE=/vmlinuz-6.12 root=UUID=ab ro  quiet\n"),
            "root=UUID=ab ro quiet");
  EXPECT_EQ(cmdline_without_loader_words("initrd=\\initrd.img root=/dev/vda1 initrd=/x"), "root=/dev/vda1");
  EXPECT_EQ(cmdline_without_loader_words("xinitrd=keep BOOT_IMAGEX=keep"), "xinitrd=keep BOOT_IMAGEX=keep");
  EXPECT_EQ(cmdline_without_loader_words(""), "");
}

TEST(Uki, OptionsOfTheUkiNeedTheUki) {
  for (std::vector<std::string> args : std::vector<std::vector<std::string>>{
           {"--uki-stub", "/s"}, {"--uki-kernel", "/k"}, {"--uki-cmdline", ""}, {"--uki-sign", "/k,/c"}}) {
    auto o = parse_builder_options(args);
    ASSERT_FALSE(o) << args[0];
    EXPECT_NE(o.error().message().find("go with --uki PATH"), std::string::npos) << o.error().message();
  }
  auto one = parse_builder_options({"--uki", "/efi/EFI/Linux/x.efi", "--uki-sign", "/k"});
  ASSERT_FALSE(one);
  EXPECT_NE(one.error().message().find("KEY,CERT"), std::string::npos);
  auto ok = parse_builder_options({"--kver", "6.12", "--initramfs", "/boot/i", "--uki", "/efi/EFI/Linux/x.efi",
                                   "--uki-sign", "/k.key,/k.crt", "--uki-cmdline", "root=LABEL=r"});
  ASSERT_TRUE(ok) << ok.error().message();
  EXPECT_EQ(ok->uki, "/efi/EFI/Linux/x.efi");
  EXPECT_EQ(ok->uki_sign_key, "/k.key");
  EXPECT_EQ(ok->uki_sign_cert, "/k.crt");
  EXPECT_EQ(ok->uki_cmdline, "root=LABEL=r");
}

TEST(Uki, PathTakesTheKernelVersion) {
  EXPECT_EQ(uki_path_for("/efi/EFI/Linux/debian-%k.efi", "6.12.1-amd64"), "/efi/EFI/Linux/debian-6.12.1-amd64.efi");
  EXPECT_EQ(uki_path_for("/efi/EFI/Linux/fixed.efi", "6.12"), "/efi/EFI/Linux/fixed.efi");
  EXPECT_EQ(uki_path_for("/x/100%%-%k-%k.efi%", "k"), "/x/100%-k-k.efi%");
  EXPECT_EQ(uki_path_for("%q", "k"), "%q");
}
