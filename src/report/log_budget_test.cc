#include "report/log_budget.h"

#include <gtest/gtest.h>

namespace raibid {
namespace {

// Everything `budget` lets through, as "step/fd:data" pieces joined.
struct Log {
  std::vector<LogPiece> out;
  std::string Text(LogFd fd) const {
    std::string text;
    for (const auto& p : out) text += p.fd == fd ? p.data : "";
    return text;
  }
};

TEST(LogBudget, UnderTheLimitEverythingPassesAsItComes) {
  LogBudget budget(100);
  Log log;
  budget.Add({"a", LogFd::kOut, "hello\n"}, log.out);
  ASSERT_EQ(log.out.size(), 1u);  // at once, not at the step's end
  budget.EndStep("a", log.out);
  EXPECT_EQ(log.Text(LogFd::kOut), "hello\n");
  EXPECT_EQ(budget.cut_bytes(), 0u);
}

TEST(LogBudget, AFloodingStepKeepsHalfTheRoomAsHeadAndAnEighthOfTheLimitAsTail) {
  LogBudget budget(800);  // head 400, tail 100
  Log log;
  for (int i = 0; i < 100; ++i)
    budget.Add({"a", LogFd::kOut, std::string(9, 'a' + i % 26) + "\n"}, log.out);
  budget.Add({"a", LogFd::kSys, "step a exited with code 1\n"}, log.out);
  budget.EndStep("a", log.out);
  const std::string out = log.Text(LogFd::kOut);
  EXPECT_EQ(out.size(), 500u);
  EXPECT_TRUE(out.ends_with("vvvvvvvvv\n")) << out;  // line 99
  EXPECT_EQ(budget.cut_bytes(), 500u);
  const std::string sys = log.Text(LogFd::kSys);
  EXPECT_TRUE(sys.starts_with("log limit: 500 bytes")) << sys;
  EXPECT_TRUE(sys.ends_with("step a exited with code 1\n")) << sys;  // after the tail, in place
}

TEST(LogBudget, EveryLaterStepStillGetsAHeadAndATail) {
  LogBudget budget(800);
  Log log;
  for (const char* step : {"a", "b", "c"}) {
    budget.Add({step, LogFd::kOut, "first " + std::string(2000, '.') + " last\n"}, log.out);
    budget.EndStep(step, log.out);
  }
  for (const char* step : {"a", "b", "c"}) {
    std::string text;
    for (const auto& p : log.out) text += p.step == step && p.fd == LogFd::kOut ? p.data : "";
    EXPECT_TRUE(text.starts_with("first ")) << step;
    EXPECT_TRUE(text.ends_with(" last\n")) << step;
  }
  EXPECT_LE(log.Text(LogFd::kOut).size(), 800u);
}

// Steps that run at the same time: each keeps a head and a tail of its own, and together they
// stay under the limit.
TEST(LogBudget, StepsOpenAtOnceEachKeepAHeadAndATailWithinTheLimit) {
  LogBudget budget(800);
  Log log;
  for (int round = 0; round < 50; ++round) {
    for (const char* step : {"a", "b", "c"}) {
      const std::string line = round == 0 ? "first\n" : round == 49 ? "last\n" : "........\n";
      budget.Add({step, LogFd::kOut, line}, log.out);
    }
  }
  budget.Add({"b", LogFd::kSys, "step b exited with code 0\n"}, log.out);
  budget.EndStep("b", log.out);
  EXPECT_EQ(log.out.back().data, "step b exited with code 0\n");  // after b's tail, in place
  budget.EndAll(log.out);
  for (const char* step : {"a", "b", "c"}) {
    std::string text;
    for (const auto& p : log.out) text += p.step == step && p.fd == LogFd::kOut ? p.data : "";
    EXPECT_TRUE(text.starts_with("first\n")) << step << ": " << text;
    EXPECT_TRUE(text.ends_with("last\n")) << step << ": " << text;
  }
  EXPECT_LE(log.Text(LogFd::kOut).size(), 800u);
  EXPECT_GT(budget.cut_bytes(), 0u);
}

}  // namespace
}  // namespace raibid
