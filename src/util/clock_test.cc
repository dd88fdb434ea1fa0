#include "util/clock.h"

#include <gtest/gtest.h>

#include "util/fake_clock_test_util.h"
#include "util/stop_token.h"

namespace raibid {
namespace {

using std::chrono::seconds;

TEST(RealClock, WaitEndsAtOnceWhenStopIsRequested) {
  StopSource stop;
  stop.RequestStop(StopReason::kShutdown);
  Clock& clock = Clock::Real();
  const SteadyTime t0 = clock.SteadyNow();
  EXPECT_FALSE(clock.WaitUntil(t0 + std::chrono::hours(1), stop));
  EXPECT_LT(clock.SteadyNow() - t0, seconds(1));
}

TEST(RealClock, WaitReturnsTrueWhenTheTimeComes) {
  StopSource stop;
  Clock& clock = Clock::Real();
  const SteadyTime until = clock.SteadyNow() + Millis(5);
  EXPECT_TRUE(clock.WaitUntil(until, stop));
  EXPECT_GE(clock.SteadyNow(), until);
}

TEST(FakeClock, WaitPassesSimulatedTimeAtOnceAndRecordsIt) {
  FakeClock clock;
  StopSource stop;
  const SystemTime wall = clock.SystemNow();
  EXPECT_TRUE(clock.WaitUntil(clock.SteadyNow() + seconds(16), stop));
  EXPECT_EQ(clock.elapsed(), seconds(16));
  EXPECT_EQ(clock.SystemNow() - wall, seconds(16));
  EXPECT_EQ(clock.waits(), std::vector<Millis>{seconds(16)});
}

TEST(FakeClock, StoppedWaitLeavesTheTimeAlone) {
  FakeClock clock;
  StopSource stop;
  stop.RequestStop(StopReason::kCancelled);
  EXPECT_FALSE(clock.WaitUntil(clock.SteadyNow() + seconds(1), stop));
  EXPECT_EQ(clock.elapsed(), Millis(0));
}

TEST(FakeClock, AdvanceMovesBothClocks) {
  FakeClock clock;
  const SystemTime wall = clock.SystemNow();
  clock.Advance(seconds(90));
  EXPECT_EQ(clock.elapsed(), seconds(90));
  EXPECT_EQ(FormatRfc3339(clock.SystemNow()), "2026-01-01T00:01:30.000Z");
  EXPECT_EQ(clock.SystemNow() - wall, seconds(90));
}

}  // namespace
}  // namespace raibid
