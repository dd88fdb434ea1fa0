#include "util/masker.h"

#include <gtest/gtest.h>

#include <atomic>

#include <thread>

#include "util/secret_encodings.h"

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

TEST(Masker, OverlappingAndAdjacentSecretsBecomeOneMarker) {
  Masker m;
  m.Add("abcd");
  m.Add("cdef");
  EXPECT_EQ(m.Apply("<abcdef>"), "<[MASKED]>");
  EXPECT_EQ(m.Apply("<abcdabcd>"), "<[MASKED]>");
}

TEST(Masker, MasksPercentEncodedForms) {
  Masker m;
  m.Add("p@ss w/rd!");
  EXPECT_EQ(m.Apply("url?pw=p%40ss%20w%2Frd%21&x"), "url?pw=[MASKED]&x");
  EXPECT_EQ(m.Apply("url?pw=p%40ss%20w%2frd%21&x"), "url?pw=[MASKED]&x");
  EXPECT_EQ(m.Apply("pw=p%40ss+w%2Frd%21"), "pw=[MASKED]");
}

TEST(Masker, MasksBase64FormsInBothAlphabetsWithAndWithoutPadding) {
  const std::string secret = "\xfb\xff-secret-\xbe";
  Masker m;
  m.Add(secret);
  for (const auto alphabet : {Base64Alphabet::kStandard, Base64Alphabet::kUrlSafe}) {
    for (const bool pad : {true, false}) {
      const std::string encoded = Base64Encode(secret, alphabet, pad);
      EXPECT_EQ(m.Apply("token: " + encoded + "\n"), "token: [MASKED]\n") << encoded;
    }
  }
}

TEST(Masker, MasksTheSecretInsideALongerBase64TextAtEachAlignment) {
  const std::string secret = "hunter2-hunter2";
  Masker m;
  m.Add(secret);
  // The secret starts at byte 3, 5 and 6 of the user part, then one or two bytes later.
  for (const std::string& user : std::vector<std::string>{"me:", "mine:", "admin:"}) {
    for (const std::string& prefix : std::vector<std::string>{"", "x", "xy"}) {
      const std::string encoded =
          Base64Encode(prefix + user + secret + "@host", Base64Alphabet::kStandard, true);
      const std::string masked = m.Apply("Authorization: Basic " + encoded);
      EXPECT_NE(masked.find("[MASKED]"), std::string::npos) << encoded;
      // At most the characters carrying the neighbours' bits stay around the marker.
      const std::string around = masked.substr(masked.find("Basic ") + 6);
      EXPECT_LE(around.size() - kMasked.size(), encoded.size() - (secret.size() * 4 / 3 - 3))
          << masked;
    }
  }
}

TEST(Masker, ABasicAuthHeaderEndingWithTheSecretIsMaskedToItsPadding) {
  Masker m;
  m.Add("tok3n-value");
  const std::string header = Base64Encode("user:tok3n-value", Base64Alphabet::kStandard, true);
  const std::string masked = m.Apply(header);
  EXPECT_TRUE(masked.ends_with("[MASKED]")) << masked;
}

TEST(Masker, TextWithoutSecretsIsUnchanged) {
  Masker m;
  m.Add("hunter2-token");
  const std::string text = "compiling 42 crates\nhunter2 is not it\n%41%42 base64 aHVudGVy\n";
  EXPECT_EQ(m.Apply(text), text);
  EXPECT_EQ(Masker{}.Apply(text), text);
}

TEST(Masker, ApplyIsLinearInTheText) {
  Masker m;
  for (int i = 0; i < 50; ++i) m.Add("secret-number-" + std::to_string(i) + "-xyz");
  // Every byte starts a partial match: a quadratic scan would take minutes here.
  std::string text;
  while (text.size() < (8u << 20)) text += "secret-number-4";
  text += "2-xyz";
  const auto t0 = std::chrono::steady_clock::now();
  const std::string masked = m.Apply(text);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));
  EXPECT_TRUE(masked.ends_with("secret-number-4[MASKED]")) << masked.substr(masked.size() - 40);
  EXPECT_EQ(masked.size(), text.size() - 20 + kMasked.size());
}

TEST(Masker, CopiesShareThePatternsAndApplyFromManyThreads) {
  Masker m;
  m.Add("shared-secret");
  const Masker copy = m;
  m.Add("another-one");  // the copy keeps its own view
  EXPECT_EQ(copy.Apply("another-one"), "another-one");
  std::vector<std::thread> threads;
  std::atomic<int> wrong{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 2000; ++i) {
        if (m.Apply("a shared-secret and another-one") != "a [MASKED] and [MASKED]") ++wrong;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(wrong.load(), 0);
}

TEST(Masker, SecretsAddedWhileOtherThreadsApplyAreMaskedFromThenOn) {
  // A job's masker learns a registry token while its log is being written on other threads.
  Masker m;
  m.Add("agent-password");
  std::atomic<bool> added{false};
  std::atomic<int> leaked_after_add{0}, wrong_old{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 3; ++t) {
    readers.emplace_back([&] {
      for (int i = 0; i < 3000; ++i) {
        const bool was_added = added.load();
        const std::string out = m.Apply("agent-password then bearer-token-1234");
        if (!out.starts_with("[MASKED] then ")) ++wrong_old;
        if (was_added && out.find("bearer-token-1234") != std::string::npos) ++leaked_after_add;
      }
    });
  }
  for (int i = 0; i < 50; ++i) m.Add("filler-secret-" + std::to_string(i));
  m.Add("bearer-token-1234");
  added = true;
  for (auto& t : readers) t.join();
  EXPECT_EQ(wrong_old.load(), 0);
  EXPECT_EQ(leaked_after_add.load(), 0);
  EXPECT_EQ(m.Apply("bearer-token-1234"), "[MASKED]");
}

}  // namespace
}  // namespace raibid
