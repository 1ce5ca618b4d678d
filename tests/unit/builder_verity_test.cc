#include <gtest/gtest.h>

#include "builder/options.h"
#include "builder/verity.h"
#include "samples.h"

using namespace iofs;

// What veritysetup 2.6.1 printed for `format --no-superblock` of 10 blocks.
TEST(BuilderVerity, ReadsVeritysetupFormatOutput) {
  auto v = parse_veritysetup_format(read_sample("veritysetup-format.txt"));
  ASSERT_TRUE(v) << v.error().message();
  EXPECT_TRUE(v->enabled);
  EXPECT_EQ(v->root_hash, "307acde25945233ad8d06d0b4242fe1dbada83706558ec97b843b7cee3a86ed8");
  EXPECT_EQ(v->salt, "dfc9c943f7a55b5bdb2aa94e029313c7f863af5e7b705bb2be75652ec2e810e0");
  EXPECT_EQ(v->data_blocks, 10u);
  EXPECT_EQ(v->data_block_size, 4096u);
  EXPECT_EQ(v->hash_block_size, 4096u);
  EXPECT_EQ(v->hash_algorithm, "sha256");
}

TEST(BuilderVerity, GarbledOutputIsAnError) {
  EXPECT_FALSE(parse_veritysetup_format(""));
  EXPECT_FALSE(parse_veritysetup_format("Root hash: \tnothex\nSalt: \t00\nData blocks: 1\n"));
  auto no_salt = parse_veritysetup_format("Root hash:\t00ff\nData blocks:\t1\n");
  ASSERT_FALSE(no_salt);
  EXPECT_NE(no_salt.error().message().find("no root hash, salt or data block count"),
            std::string::npos);
  EXPECT_FALSE(parse_veritysetup_format("Root hash:\t00ff\nSalt:\t-\nData blocks:\tmany\n"));
}

TEST(BuilderVerity, Options) {
  auto plain = parse_builder_options({});
  ASSERT_TRUE(plain);
  EXPECT_FALSE(plain->verity);
  auto o = parse_builder_options({"--verity"});
  ASSERT_TRUE(o);
  EXPECT_TRUE(o->verity);
  EXPECT_EQ(o->verity_on_corruption, "eio");
  o = parse_builder_options({"--verity-on-corruption", "restart", "--verity-sign=/k.pem,/c.pem"});
  ASSERT_TRUE(o) << o.error().message();
  EXPECT_TRUE(o->verity);  // implied
  EXPECT_EQ(o->verity_on_corruption, "restart");
  EXPECT_EQ(o->verity_sign_key, "/k.pem");
  EXPECT_EQ(o->verity_sign_cert, "/c.pem");
  EXPECT_FALSE(parse_builder_options({"--verity-on-corruption", "ignore"}));
  EXPECT_FALSE(parse_builder_options({"--verity-sign", "/k.pem"}));
  EXPECT_FALSE(parse_builder_options({"--verity=1"}));
}
