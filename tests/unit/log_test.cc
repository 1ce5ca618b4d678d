#include "core/log.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>
#include <string>
#include <vector>

namespace iofs {
namespace {

std::vector<std::string> words(const std::string& s) {
  std::istringstream in(s);
  std::vector<std::string> out;
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

// The "block devices seen: ..." error on a machine with many disks is
// longer than a kmsg record: /dev/kmsg refused it whole (EINVAL), and it
// never reached the journal.
TEST(Log, LongRecordIsSplitAtSpacesAndLosesNoWord) {
  std::string msg = "device: LABEL=boot not found after 30 s; block devices seen:";
  for (int i = 0; i < 200; ++i)
    msg += " /dev/sd" + std::to_string(i) + " (ext4, LABEL=disk" + std::to_string(i) + ")";
  ASSERT_GT(msg.size(), 3000u);
  auto pieces = log::split_record(msg, 1000);
  ASSERT_GE(pieces.size(), 4u);
  std::string rejoined;
  for (size_t i = 0; i < pieces.size(); ++i) {
    EXPECT_LE(pieces[i].size(), 1000u);
    if (i > 0) {
      ASSERT_TRUE(pieces[i].starts_with("... ")) << pieces[i].substr(0, 20);
      rejoined += " " + pieces[i].substr(4);
    } else {
      rejoined = pieces[i];
    }
  }
  EXPECT_EQ(words(rejoined), words(msg));
}

TEST(Log, ShortRecordIsOnePiece) {
  auto pieces = log::split_record("ready in 7 ms", 1000);
  ASSERT_EQ(pieces.size(), 1u);
  EXPECT_EQ(pieces[0], "ready in 7 ms");
}

TEST(Log, WordLongerThanARecordIsCutNotDropped) {
  std::string word(2500, 'x');
  auto pieces = log::split_record("path " + word + " end", 1000);
  std::string all;
  for (size_t i = 0; i < pieces.size(); ++i) {
    EXPECT_LE(pieces[i].size(), 1000u);
    all += i == 0 ? pieces[i] : pieces[i].substr(4);
  }
  EXPECT_EQ(std::count(all.begin(), all.end(), 'x'), 2500);
  EXPECT_TRUE(all.ends_with("end"));
}

}  // namespace
}  // namespace iofs
