#include "util/text.h"

#include <gtest/gtest.h>

namespace raibid {
namespace {

using std::chrono::milliseconds;

TEST(Lower, LowersAsciiLettersOnly) {
  EXPECT_EQ(Lower("Content-Type: ABC-xyz_09"), "content-type: abc-xyz_09");
  EXPECT_EQ(Lower("\xc3\x89T\xc3\x89"), "\xc3\x89t\xc3\x89");  // UTF-8 bytes untouched
  EXPECT_EQ(Lower(""), "");
}

TEST(FormatBytes, WholeUnitsWholeAndTheRestWithOneDecimal) {
  EXPECT_EQ(FormatBytes(0), "0 bytes");
  EXPECT_EQ(FormatBytes(1), "1 byte");
  EXPECT_EQ(FormatBytes(1023), "1023 bytes");
  EXPECT_EQ(FormatBytes(64 << 10), "64 KiB");
  EXPECT_EQ(FormatBytes(300 << 10), "300 KiB");
  EXPECT_EQ(FormatBytes(1 << 20), "1 MiB");
  EXPECT_EQ(FormatBytes((2 << 20) + 1), "2.0 MiB");
  EXPECT_EQ(FormatBytes(3ull << 29), "1.5 GiB");
  EXPECT_EQ(FormatBytes(10ull << 30), "10 GiB");
  EXPECT_EQ(FormatBytes(3ull << 40), "3 TiB");
}

TEST(FormatDuration, WritesAConfiguredDurationExactly) {
  EXPECT_EQ(FormatDuration(milliseconds(250)), "250ms");
  EXPECT_EQ(FormatDuration(milliseconds(45'000)), "45s");
  EXPECT_EQ(FormatDuration(milliseconds(1'500)), "1.5s");
  EXPECT_EQ(FormatDuration(milliseconds(30 * 60'000)), "30m");
  EXPECT_EQ(FormatDuration(milliseconds(90 * 60'000)), "1h30m");
  EXPECT_EQ(FormatDuration(milliseconds(120'500)), "2m0.5s");
  EXPECT_EQ(FormatDuration(milliseconds(3'600'001)), "1h0.001s");
}

TEST(FormatSeconds, RoundsToTheDecimalsAsked) {
  EXPECT_EQ(FormatSeconds(milliseconds(1'234)), "1.23s");
  EXPECT_EQ(FormatSeconds(milliseconds(12'345), 1), "12.3s");
  EXPECT_EQ(FormatSeconds(std::chrono::nanoseconds(7'000'000)), "0.01s");
  EXPECT_EQ(FormatSeconds(milliseconds(0), 1), "0.0s");
}

}  // namespace
}  // namespace raibid
