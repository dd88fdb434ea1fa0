#include "config/duration.h"

#include <gtest/gtest.h>

namespace raibid {
namespace {

using std::chrono::milliseconds;

TEST(DurationTest, UnitsAndBareSeconds) {
  EXPECT_EQ(ParseDuration("30s").value(), milliseconds(30'000));
  EXPECT_EQ(ParseDuration("5m").value(), milliseconds(300'000));
  EXPECT_EQ(ParseDuration("1h30m").value(), milliseconds(5'400'000));
  EXPECT_EQ(ParseDuration("500ms").value(), milliseconds(500));
  EXPECT_EQ(ParseDuration("90").value(), milliseconds(90'000));
  EXPECT_EQ(ParseDuration("0").value(), milliseconds(0));
}

TEST(DurationTest, RefusesWhatIsNoDurationNamingIt) {
  for (const char* bad : {"", "s", "-5s", "1.5m", "5 m", "5d", "5m3", "2x", "9999999999h"}) {
    auto d = ParseDuration(bad);
    ASSERT_FALSE(d) << bad;
    EXPECT_EQ(d.error().message,
              std::string("expected a duration like 30s or 5m, got '") + bad + "'");
  }
}

}  // namespace
}  // namespace raibid
