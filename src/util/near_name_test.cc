#include "util/near_name.h"

#include <gtest/gtest.h>

namespace raibid {
namespace {

const std::vector<std::string_view> kJobKeys = {
    "job_id",   "repository", "commit",          "branch",       "tag",
    "pipeline", "env",        "timeout_minutes", "cache_enabled"};

TEST(EditDistance, CountsASwapOfNeighboursAsOneEdit) {
  EXPECT_EQ(EditDistance("brnach", "branch"), 1u);
  EXPECT_EQ(EditDistance("timout_minutes", "timeout_minutes"), 1u);
  EXPECT_EQ(EditDistance("Branch", "branch"), 0u);
  EXPECT_EQ(EditDistance("", "tag"), 3u);
  EXPECT_EQ(EditDistance("kitten", "sitting"), 3u);
}

TEST(NearestName, SuggestsTheKnownNameATypoCameFrom) {
  EXPECT_EQ(NearestName("brnach", kJobKeys), "branch");
  EXPECT_EQ(NearestName("timout_minutes", kJobKeys), "timeout_minutes");
  EXPECT_EQ(NearestName("repo", kJobKeys), std::nullopt);  // 6 edits from repository
  EXPECT_EQ(NearestName("commits", kJobKeys), "commit");
  EXPECT_EQ(NearestName("tags", kJobKeys), "tag");
}

TEST(NearestName, SuggestsNothingForAFarOrAKnownName) {
  EXPECT_EQ(NearestName("priority", kJobKeys), std::nullopt);
  EXPECT_EQ(NearestName("x", kJobKeys), std::nullopt);
  EXPECT_EQ(NearestName("branch", kJobKeys), std::nullopt);
}

TEST(DidYouMean, IsAnAppendableClauseOrNothing) {
  EXPECT_EQ(DidYouMean("brnach", kJobKeys), " (did you mean 'branch'?)");
  EXPECT_EQ(DidYouMean("priority", kJobKeys), "");
}

}  // namespace
}  // namespace raibid
