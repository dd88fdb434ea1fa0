#include "util/masker.h"

#include <gtest/gtest.h>

namespace raibid {
namespace {

TEST(Masker, ReplacesEveryOccurrence) {
  Masker m;
  m.Add("tok123456\n");
  EXPECT_EQ(m.Apply("a tok123456 b tok123456"), "a [MASKED] b [MASKED]");
}

TEST(Masker, LongerSecretWinsAndShortOnesAreIgnored) {
  Masker m;
  m.Add("abcd");
  m.Add("abcdefgh");
  m.Add("ab");
  EXPECT_EQ(m.Apply("xabcdefghx abcd ab"), "x[MASKED]x [MASKED] ab");
}

}  // namespace
}  // namespace raibid
