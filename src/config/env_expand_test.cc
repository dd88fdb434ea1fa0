#include "config/env_expand.h"

#include <gtest/gtest.h>

#include <map>

namespace raibid {
namespace {

EnvLookup Vars(std::map<std::string, std::string> vars) { return MapEnvLookup(std::move(vars)); }

TEST(ExpandEnv, ReplacesAReferenceWithTheVariable) {
  EXPECT_EQ(ExpandEnv("${POD_NAME}", Vars({{"POD_NAME", "agent-7"}})), "agent-7");
}

TEST(ExpandEnv, UnsetVariableBecomesEmpty) { EXPECT_EQ(ExpandEnv("${POD_NAME}", Vars({})), ""); }

TEST(ExpandEnv, ExpandsReferencesInsideText) {
  auto vars = Vars({{"HOST", "redis"}, {"PORT", "6380"}});
  EXPECT_EQ(ExpandEnv("redis://${HOST}:${PORT}/0", vars), "redis://redis:6380/0");
}

TEST(ExpandEnv, DefaultAppliesWhenUnsetOrEmpty) {
  auto vars = Vars({{"EMPTY", ""}, {"SET", "v"}});
  EXPECT_EQ(ExpandEnv("${UNSET:-fallback}", vars), "fallback");
  EXPECT_EQ(ExpandEnv("${EMPTY:-fallback}", vars), "fallback");
  EXPECT_EQ(ExpandEnv("${SET:-fallback}", vars), "v");
  EXPECT_EQ(ExpandEnv("${UNSET:-}", vars), "");
}

TEST(ExpandEnv, DefaultsMayThemselvesHoldReferences) {
  auto vars = Vars({{"B", "bee"}});
  EXPECT_EQ(ExpandEnv("${A:-${B}}", vars), "bee");
  EXPECT_EQ(ExpandEnv("${A:-${C:-x-${B}}}!", vars), "x-bee!");
  EXPECT_EQ(ExpandEnv("${A:-redis://h:1}", vars), "redis://h:1");
}

TEST(ExpandEnv, DoubleDollarAndUnknownSyntaxAreLeftAsIs) {
  auto vars = Vars({{"HOME", "/root"}, {"X", "x"}});
  EXPECT_EQ(ExpandEnv("cost $$5", vars), "cost $$5");
  EXPECT_EQ(ExpandEnv("$${HOME}", vars), "$${HOME}");
  EXPECT_EQ(ExpandEnv("$HOME", vars), "$HOME");
  EXPECT_EQ(ExpandEnv("${}", vars), "${}");
  EXPECT_EQ(ExpandEnv("${1X}", vars), "${1X}");
  EXPECT_EQ(ExpandEnv("${X:?oops}", vars), "${X:?oops}");
  EXPECT_EQ(ExpandEnv("${X-y}", vars), "${X-y}");
  EXPECT_EQ(ExpandEnv("a ${X", vars), "a ${X");
  EXPECT_EQ(ExpandEnv("trailing $", vars), "trailing $");
}

TEST(ExpandEnv, ExpandedValuesAreNotExpandedAgain) {
  auto vars = Vars({{"A", "${B}"}, {"B", "no"}});
  EXPECT_EQ(ExpandEnv("${A}", vars), "${B}");
}

TEST(ExpandEnv, UnclosedReferencesCostLinearTime) {
  std::string text;
  for (int i = 0; i < 200000; ++i) text += "${";
  EXPECT_EQ(ExpandEnv(text, Vars({})), text);
}

TEST(ExpandEnv, VeryDeepDefaultsStopExpandingInsteadOfOverflowing) {
  std::string text;
  for (int i = 0; i < 50000; ++i) text += "${A:-";
  text += "x" + std::string(50000, '}');
  const std::string out = ExpandEnv(text, Vars({}));
  EXPECT_FALSE(out.empty());
  EXPECT_NE(out.find("${A:-"), std::string::npos);
}

TEST(ExpandEnv, ProcessLookupReadsTheEnvironment) {
  ::setenv("RAIBID_EXPAND_TEST", "from-env", 1);
  EXPECT_EQ(ExpandEnv("${RAIBID_EXPAND_TEST}", ProcessEnvLookup()), "from-env");
  ::unsetenv("RAIBID_EXPAND_TEST");
  EXPECT_EQ(ProcessEnvLookup()("RAIBID_EXPAND_TEST"), std::nullopt);
}

}  // namespace
}  // namespace raibid
