#include "util/deadline.h"

#include <gtest/gtest.h>

#include "util/fake_clock_test_util.h"

namespace raibid {
namespace {

using std::chrono::seconds;

TEST(JobDeadline, ExtendsOnceThenExpires) {
  SteadyTime t0{};
  JobDeadline d(t0, seconds(60), seconds(6));
  EXPECT_EQ(d.Check(t0 + seconds(59)), DeadlineEvent::kNone);
  EXPECT_EQ(d.next(), t0 + seconds(60));
  EXPECT_EQ(d.Check(t0 + seconds(60)), DeadlineEvent::kExtended);
  EXPECT_EQ(d.Check(t0 + seconds(61)), DeadlineEvent::kNone);
  EXPECT_EQ(d.next(), t0 + seconds(66));
  EXPECT_EQ(d.Check(t0 + seconds(66)), DeadlineEvent::kExpired);
}

TEST(JobDeadline, NoExtensionExpiresAtTheTimeout) {
  SteadyTime t0{};
  JobDeadline d(t0, seconds(10), seconds(0));
  EXPECT_EQ(d.next(), t0 + seconds(10));
  EXPECT_EQ(d.Check(t0 + seconds(10)), DeadlineEvent::kExpired);
}

TEST(JobDeadline, StartsAtTheNowOfItsClock) {
  FakeClock clock;
  clock.Advance(seconds(5));
  JobDeadline d(clock, seconds(10), seconds(1));
  EXPECT_EQ(&d.clock(), &clock);
  EXPECT_EQ(d.next(), clock.SteadyNow() + seconds(10));
  EXPECT_EQ(d.hard(), clock.SteadyNow() + seconds(11));
}

TEST(Rfc3339, MillisecondsAndZulu) {
  auto t = std::chrono::system_clock::time_point(std::chrono::milliseconds(1700000000123));
  EXPECT_EQ(FormatRfc3339(t), "2023-11-14T22:13:20.123Z");
}

}  // namespace
}  // namespace raibid
