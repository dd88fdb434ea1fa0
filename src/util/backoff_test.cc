#include "util/backoff.h"

#include <gtest/gtest.h>

namespace raibid {
namespace {

TEST(Backoff, DoublesFromOneSecondToSixteenThenGivesUp) {
  Backoff b({.jitter = 0});
  for (int expected : {1000, 2000, 4000, 8000, 16000}) {
    auto d = b.Next();
    ASSERT_TRUE(d);
    EXPECT_EQ(d->count(), expected);
  }
  EXPECT_FALSE(b.Next());
}

TEST(Backoff, JitterStaysWithinItsBand) {
  Backoff b({.max_retries = 100});
  for (int i = 0; i < 100; ++i) {
    auto d = b.Next();
    const auto base = Backoff::BaseDelay({}, i);
    EXPECT_GE(d->count(), base.count() * 0.8 - 1);
    EXPECT_LE(d->count(), base.count() * 1.2 + 1);
  }
}

TEST(Backoff, UnlimitedRetriesStayAtTheCap) {
  Backoff b({.initial = Millis(10), .max_retries = -1, .cap = Millis(40), .jitter = 0});
  for (int i = 0; i < 50; ++i) ASSERT_LE(b.Next()->count(), 40);
}

}  // namespace
}  // namespace raibid
