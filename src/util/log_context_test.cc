#include "util/log_context.h"

#include <gtest/gtest.h>
#include <spdlog/logger.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "util/masker.h"

namespace raibid {
namespace {

std::string LogOne(LogFormat format, const std::function<void(spdlog::logger&)>& write) {
  std::ostringstream out;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_st>(out);
  sink->set_formatter(MakeLogFormatter(format));
  spdlog::logger logger("test", sink);
  write(logger);
  return out.str();
}

TEST(LogFormat, JsonLinesCarryJobAndStepFields) {
  ScopedLogContext ctx("job-7");
  CurrentLogContext().step = "build";
  const std::string line =
      LogOne(LogFormat::kJson, [](auto& l) { l.info("step \"{}\" done", "build"); });
  auto parsed = nlohmann::json::parse(line);
  EXPECT_EQ(parsed["level"], "info");
  EXPECT_EQ(parsed["msg"], "step \"build\" done");
  EXPECT_EQ(parsed["job_id"], "job-7");
  EXPECT_EQ(parsed["step"], "build");
  EXPECT_EQ(line.back(), '\n');
  EXPECT_EQ(line.find('\n'), line.size() - 1);
}

TEST(LogFormat, LinesOutsideAJobHaveNoJobFields) {
  const std::string line = LogOne(LogFormat::kJson, [](auto& l) { l.warn("idle"); });
  auto parsed = nlohmann::json::parse(line);
  EXPECT_FALSE(parsed.contains("job_id"));
  EXPECT_EQ(parsed["level"], "warning");
}

TEST(LogFormat, TextPrefixesTheJob) {
  ScopedLogContext ctx("job-8");
  const std::string line = LogOne(LogFormat::kText, [](auto& l) { l.info("hello"); });
  EXPECT_NE(line.find("[job-8] hello"), std::string::npos) << line;
}

TEST(LogFormat, ContextEndsWithItsScope) {
  {
    ScopedLogContext ctx("job-9");  // set for this block only
  }
  EXPECT_TRUE(CurrentLogContext().job_id.empty());
}

}  // namespace
}  // namespace raibid

namespace raibid {
namespace {

TEST(LogFormat, TheAgentsOwnLogIsMasked) {
  std::ostringstream out;
  auto previous = spdlog::default_logger();
  auto logger = std::make_shared<spdlog::logger>(
      "masked", std::make_shared<spdlog::sinks::ostream_sink_st>(out));
  spdlog::set_default_logger(logger);
  Masker masker;
  masker.Add("hunter2-token");
  MaskAgentLog(masker);
  spdlog::info("cloning with hunter2-token and aHVudGVyMi10b2tlbg== in the URL");
  spdlog::set_default_logger(previous);
  EXPECT_EQ(out.str().find("hunter2-token"), std::string::npos) << out.str();
  EXPECT_EQ(out.str().find("aHVudGVyMi10b2tlbg"), std::string::npos) << out.str();
  EXPECT_NE(out.str().find("cloning with [MASKED] and [MASKED]"), std::string::npos) << out.str();
}

TEST(LogFormat, AJobsOwnSecretsAreMaskedInTheAgentLogLinesOfItsThread) {
  std::ostringstream out;
  auto previous = spdlog::default_logger();
  spdlog::set_default_logger(std::make_shared<spdlog::logger>(
      "masked", std::make_shared<spdlog::sinks::ostream_sink_st>(out)));
  MaskAgentLog(Masker());  // the agent holds no secret of its own
  auto job_masker = std::make_shared<Masker>();
  {
    ScopedLogContext ctx("job-9");
    CurrentLogContext().masker = job_masker;
    job_masker->Add("token-obtained-mid-job");  // after the context was set, as a token is
    spdlog::info("registry said token-obtained-mid-job");
  }
  spdlog::set_default_logger(previous);
  const std::string text = out.str();
  EXPECT_NE(text.find("registry said [MASKED]"), std::string::npos) << text;
  EXPECT_EQ(text.find("token-obtained"), std::string::npos) << text;
}

}  // namespace
}  // namespace raibid

namespace raibid {
namespace {

// What LogWithFields writes through the default logger in `format`; masked (in the text
// format) with `masker` when there is one.
std::string LogFields(LogFormat format, std::vector<LogField> fields,
                      const Masker* masker = nullptr) {
  std::ostringstream out;
  auto previous = spdlog::default_logger();
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_st>(out);
  sink->set_formatter(MakeLogFormatter(format));
  spdlog::set_default_logger(std::make_shared<spdlog::logger>("fields", sink));
  if (masker != nullptr) MaskAgentLog(*masker);
  LogWithFields(spdlog::level::info, "job finished", std::move(fields));
  spdlog::set_default_logger(previous);
  return out.str();
}

TEST(LogFields, JsonLinesCarryEachFieldWithItsType) {
  ScopedLogContext ctx("job-1");
  auto line =
      nlohmann::json::parse(LogFields(LogFormat::kJson, {{"repository", std::string("raibid/core")},
                                                         {"attempt", int64_t{2}},
                                                         {"duration_ms", int64_t{1534}}}));
  EXPECT_EQ(line["msg"], "job finished");
  EXPECT_EQ(line["job_id"], "job-1");
  EXPECT_EQ(line["repository"], "raibid/core");
  EXPECT_EQ(line["attempt"], 2);
  EXPECT_EQ(line["duration_ms"], 1534);
}

TEST(LogFields, TextLinesAppendKeyValuePairsQuotingWhereNeeded) {
  const std::string line = LogFields(
      LogFormat::kText, {{"result", std::string("failed")}, {"error", std::string("a \"b\"")}});
  EXPECT_NE(line.find("job finished result=failed error=\"a \\\"b\\\"\"\n"), std::string::npos)
      << line;
}

TEST(LogFields, FieldValuesAreMaskedLikeTheMessage) {
  Masker masker;
  masker.Add("hunter2-token");
  const std::string line = LogFields(
      LogFormat::kText, {{"repository", std::string("https://x:hunter2-token@git/r")}}, &masker);
  EXPECT_EQ(line.find("hunter2"), std::string::npos) << line;
  EXPECT_NE(line.find("[MASKED]"), std::string::npos) << line;
}

}  // namespace
}  // namespace raibid
