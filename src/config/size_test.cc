#include "config/size.h"

#include <gtest/gtest.h>

namespace raibid {
namespace {

constexpr uint64_t kGi = 1ull << 30;

TEST(ParseSize, PlainBytes) {
  EXPECT_EQ(ParseSize("1024").value(), 1024u);
  EXPECT_EQ(ParseSize("0").value(), 0u);
  EXPECT_EQ(ParseSize("512B").value(), 512u);
}

TEST(ParseSize, BinaryUnits) {
  EXPECT_EQ(ParseSize("16Ki").value(), 16u << 10);
  EXPECT_EQ(ParseSize("16Mi").value(), 16u << 20);
  EXPECT_EQ(ParseSize("50Gi").value(), 50 * kGi);
  EXPECT_EQ(ParseSize("2Ti").value(), 2048 * kGi);
  EXPECT_EQ(ParseSize("1Pi").value(), 1ull << 50);
  EXPECT_EQ(ParseSize("512MiB").value(), 512u << 20);
}

TEST(ParseSize, DecimalUnits) {
  EXPECT_EQ(ParseSize("10G").value(), 10'000'000'000u);
  EXPECT_EQ(ParseSize("10GB").value(), 10'000'000'000u);
  EXPECT_EQ(ParseSize("3k").value(), 3000u);
  EXPECT_EQ(ParseSize("3K").value(), 3000u);
  EXPECT_EQ(ParseSize("7M").value(), 7'000'000u);
  EXPECT_EQ(ParseSize("1T").value(), 1'000'000'000'000u);
}

TEST(ParseSize, FractionsRoundDownToWholeBytes) {
  EXPECT_EQ(ParseSize("1.5Gi").value(), kGi + kGi / 2);
  EXPECT_EQ(ParseSize("0.5Ki").value(), 512u);
  EXPECT_EQ(ParseSize("1.0001Ki").value(), 1024u);
  EXPECT_EQ(ParseSize("2.5").value(), 2u);
}

TEST(ParseSize, AllowsSpacesAroundNumberAndUnit) {
  EXPECT_EQ(ParseSize(" 10 Gi ").value(), 10 * kGi);
}

TEST(ParseSize, RefusesWhatIsNotASize) {
  for (const char* bad : {"", "abc", "Gi", "-1Gi", "+1", "1.Gi", ".5Gi", "10 G i", "10gi", "512m",
                          "1e3", "10Xi", "1Gi2", "0x10"}) {
    auto r = ParseSize(bad);
    ASSERT_FALSE(r.has_value()) << bad;
    EXPECT_EQ(r.error().kind, ErrorKind::kConfig);
    EXPECT_EQ(r.error().message, std::string("expected a size like 10Gi, got '") + bad + "'");
  }
}

TEST(ParseSize, RefusesSizesPastSixtyFourBits) {
  EXPECT_EQ(ParseSize("18446744073709551615").value(), UINT64_MAX);
  EXPECT_FALSE(ParseSize("18446744073709551616").has_value());
  EXPECT_FALSE(ParseSize("16384Pi").has_value());
  EXPECT_EQ(ParseSize("16383Pi").value(), 16383ull << 50);
  EXPECT_FALSE(ParseSize("99999999999999999999999999Gi").has_value());
}

}  // namespace
}  // namespace raibid
