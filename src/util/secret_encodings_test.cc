#include "util/secret_encodings.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace raibid {
namespace {

bool Has(const std::vector<std::string>& forms, const std::string& form) {
  return std::find(forms.begin(), forms.end(), form) != forms.end();
}

TEST(SecretEncodings, Base64MatchesTheRfcVectors) {
  EXPECT_EQ(Base64Encode("foobar", Base64Alphabet::kStandard, true), "Zm9vYmFy");
  EXPECT_EQ(Base64Encode("fooba", Base64Alphabet::kStandard, true), "Zm9vYmE=");
  EXPECT_EQ(Base64Encode("foob", Base64Alphabet::kStandard, true), "Zm9vYg==");
  EXPECT_EQ(Base64Encode("foob", Base64Alphabet::kStandard, false), "Zm9vYg");
  EXPECT_EQ(Base64Encode("\xfb\xff\xbf", Base64Alphabet::kStandard, true), "+/+/");
  EXPECT_EQ(Base64Encode("\xfb\xff\xbf", Base64Alphabet::kUrlSafe, true), "-_-_");
}

TEST(SecretEncodings, PercentEncodingInBothCasesAndWithPlus) {
  EXPECT_EQ(PercentEncode("a b/c~", true, false), "a%20b%2Fc~");
  EXPECT_EQ(PercentEncode("a b/c~", false, false), "a%20b%2fc~");
  EXPECT_EQ(PercentEncode("a b/c~", true, true), "a+b%2Fc~");
  const auto forms = EncodedForms("p@ss w/rd");
  EXPECT_TRUE(Has(forms, "p%40ss%20w%2Frd"));
  EXPECT_TRUE(Has(forms, "p%40ss%20w%2frd"));
  EXPECT_TRUE(Has(forms, "p%40ss+w%2Frd"));
  EXPECT_TRUE(Has(forms, "p%40ss+w%2frd"));
}

TEST(SecretEncodings, NoDuplicatesAndNotTheSecretItself) {
  const auto forms = EncodedForms("plaintoken");  // percent-encoding changes nothing
  EXPECT_FALSE(Has(forms, "plaintoken"));
  auto sorted = forms;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(std::unique(sorted.begin(), sorted.end()), sorted.end());
}

// Whatever precedes and follows the secret in an encoded text, one of its forms is in it.
TEST(SecretEncodings, SomeBase64FormIsInsideAnyEncodedTextHoldingTheSecret) {
  const std::string secret = "s3cr3t-t0ken?>";
  const auto forms = EncodedForms(secret);
  for (size_t before = 0; before < 7; ++before) {
    for (size_t after = 0; after < 4; ++after) {
      const std::string data = std::string(before, '\xfe') + secret + std::string(after, '\x01');
      for (const auto alphabet : {Base64Alphabet::kStandard, Base64Alphabet::kUrlSafe}) {
        for (const bool pad : {true, false}) {
          const std::string text = Base64Encode(data, alphabet, pad);
          const bool found = std::any_of(forms.begin(), forms.end(), [&](const std::string& f) {
            return text.find(f) != std::string::npos;
          });
          EXPECT_TRUE(found) << text << " (" << before << " before, " << after << " after)";
        }
      }
    }
  }
}

// The encoded secret that ends a text is covered to its last character and padding.
TEST(SecretEncodings, ASecretAtTheEndOfTheEncodedTextIsCoveredToThePadding) {
  const std::string secret = "user-token-12345";  // 16 bytes
  const auto forms = EncodedForms(secret);
  for (size_t before = 0; before < 3; ++before) {
    const std::string text =
        Base64Encode(std::string(before, 'u') + secret, Base64Alphabet::kStandard, true);
    const bool suffix = std::any_of(forms.begin(), forms.end(), [&](const std::string& f) {
      return text.ends_with(f) && text.size() - f.size() <= (8 * before + 5) / 6;
    });
    EXPECT_TRUE(suffix) << text;
  }
}

}  // namespace
}  // namespace raibid
