#include "util/env_name.h"

#include <gtest/gtest.h>

#include <clocale>

namespace raibid {
namespace {

TEST(IsEnvName, AcceptsPortableNames) {
  for (const char* name : {"A", "_", "_x", "PATH", "cargo_home", "X1", "A_B_2"}) {
    EXPECT_TRUE(IsEnvName(name)) << name;
  }
}

TEST(IsEnvName, RefusesEverythingElse) {
  for (const char* name :
       {"", "1X", "A-B", "A.B", "A B", "A=B", "$A", "\xc3\x89T\xc3\x89", "A\xb5"}) {
    EXPECT_FALSE(IsEnvName(name)) << name;
  }
  EXPECT_FALSE(IsEnvName(std::string_view("A\0B", 3)));
}

TEST(IsEnvName, DoesNotDependOnTheLocale) {
  // In Latin-1 locales isalpha(0xb5) ('µ') is true; the rule must not follow it.
  const char* old = std::setlocale(LC_CTYPE, nullptr);
  const std::string saved = old ? old : "C";
  for (const char* locale : {"C.UTF-8", "en_US.ISO-8859-1", "de_DE.ISO-8859-1"}) {
    if (std::setlocale(LC_CTYPE, locale) == nullptr) continue;
    EXPECT_FALSE(IsEnvName("A\xb5")) << locale;
    EXPECT_TRUE(IsEnvName("A_1")) << locale;
  }
  std::setlocale(LC_CTYPE, saved.c_str());
}

}  // namespace
}  // namespace raibid
