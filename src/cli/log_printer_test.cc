#include "cli/log_printer.h"

#include <gtest/gtest.h>

#include <cstdio>

namespace raibid::cli {
namespace {

// What `print` wrote through a LogPrinter.
template <typename F>
std::string Printed(F print) {
  char* buffer = nullptr;
  size_t size = 0;
  std::FILE* out = open_memstream(&buffer, &size);
  {
    LogPrinter printer(out);
    print(printer);
  }
  std::fclose(out);
  std::string text(buffer, size);
  std::free(buffer);
  return text;
}

TEST(OverlappingSteps, AreThoseWhoseTimesOverlapOrThatStillRunBesideAnother) {
  const char* steps = R"([
    {"name": "build", "started_at": "2026-12-06T10:00:00.000Z", "finished_at": "2026-12-06T10:00:01.000Z"},
    {"name": "lint", "started_at": "2026-12-06T10:00:01.500Z", "finished_at": "2026-12-06T10:00:03.000Z"},
    {"name": "test", "started_at": "2026-12-06T10:00:02.000Z", "finished_at": null},
    {"name": "docs", "started_at": null}])";
  EXPECT_EQ(OverlappingSteps(steps), (std::set<std::string>{"lint", "test"}));
  EXPECT_TRUE(OverlappingSteps("not json").empty());
}

TEST(LogPrinter, PrefixesEachLineOfAStepThatRunsBesideAnother) {
  const std::string text = Printed([](LogPrinter& p) {
    p.Print("build", "out", "alone\n");
    p.set_prefixed({"lint", "test"});
    p.Print("lint", "out", "warning: x\nwarn");
    p.Print("test", "out", "running 3 tests\n");
    p.Print("lint", "out", "ing: y\n");
    p.Print("test", "sys", "step test exited with code 0\n");
  });
  EXPECT_EQ(text,
            "alone\n[lint] warning: x\n[lint] warn[test] running 3 tests\ning: y\n"
            "==> [test] step test exited with code 0\n");
}

}  // namespace
}  // namespace raibid::cli
