#include "report/redis_log_sink.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <tuple>

#include "redis/stream_entry.h"
#include "support/redis_server.h"
#include "support/temp_dir.h"

namespace raibid {
namespace {

class RedisLogSinkTest : public ::testing::Test {
 protected:
  std::unique_ptr<Redis> Connect() {
    auto conn = Redis::Connect(*ParseRedisUrl(server_.url()));
    EXPECT_TRUE(conn);
    return std::move(*conn);
  }
  // All entries of the job's log stream, as (fd, data).
  std::vector<StreamEntry> Entries(const std::string& job = "j1") {
    auto r = Connect()->Command({"XRANGE", LogKey(job), "-", "+"});
    return ParseEntries(*r);
  }
  std::string Text(LogFd only, const std::string& job = "j1") {
    std::string all;
    for (const auto& e : Entries(job)) {
      if (e.Field("fd") == std::string(ToString(only))) all += *e.Field("data");
    }
    return all;
  }
  // The log as (step, fd, data), consecutive entries of one step and fd joined (the flusher may
  // or may not have sent a write before the next one of the same stream arrived).
  std::vector<std::tuple<std::string, std::string, std::string>> Runs() {
    std::vector<std::tuple<std::string, std::string, std::string>> runs;
    for (const auto& e : Entries()) {
      std::string step = *e.Field("step"), fd = *e.Field("fd");
      if (!runs.empty() && std::get<0>(runs.back()) == step && std::get<1>(runs.back()) == fd) {
        std::get<2>(runs.back()) += *e.Field("data");
      } else {
        runs.emplace_back(step, fd, *e.Field("data"));
      }
    }
    return runs;
  }
  testing::RedisServer server_;
};

TEST_F(RedisLogSinkTest, KeepsOrderAcrossStepsAndFds) {
  {
    RedisLogSink sink(Connect(), "j1", {}, Masker{});
    sink.Write("a", LogFd::kSys, "start\n");
    sink.Write("a", LogFd::kOut, "one\n");
    sink.Write("a", LogFd::kErr, "two\n");
    sink.Write("b", LogFd::kOut, "three\n");
  }
  auto entries = Entries();
  ASSERT_EQ(entries.size(), 4u);
  EXPECT_EQ(entries[0].Field("fd"), "sys");
  EXPECT_EQ(entries[1].Field("data"), "one\n");
  EXPECT_EQ(entries[2].Field("fd"), "err");
  EXPECT_EQ(entries[3].Field("step"), "b");
  EXPECT_NE(server_.Cli({"TTL", LogKey("j1")}), "-1");
}

TEST_F(RedisLogSinkTest, FlushMakesOutputVisibleAtOnce) {
  RedisLogSink sink(Connect(), "j1", {}, Masker{});
  sink.Write("a", LogFd::kOut, "hello\n");
  sink.Flush();
  EXPECT_EQ(Text(LogFd::kOut), "hello\n");
}

TEST_F(RedisLogSinkTest, AtTheLimitEachStepKeepsItsHeadAndItsTailAndLaterStepsTheirOutput) {
  ReportSettings settings;
  settings.log_limit_bytes = 1000;
  uint64_t dropped = 0;
  {
    RedisLogSink sink(Connect(), "j1", settings, Masker{});
    for (int i = 0; i < 100; ++i) sink.Write("a", LogFd::kOut, fmt::format("line {:03}\n", i));
    sink.Write("a", LogFd::kSys, "step a exited with code 0\n");
    sink.Flush();  // as the executor does at a step's end
    sink.Write("b", LogFd::kErr, "error: the end of b\n");
    sink.Flush();
    dropped = sink.dropped_bytes();
  }
  const std::string out = Text(LogFd::kOut);
  EXPECT_TRUE(out.starts_with("line 000\n")) << out;
  EXPECT_TRUE(out.ends_with("line 099\n")) << out;  // the tail of a flooding step is kept
  EXPECT_EQ(Text(LogFd::kErr), "error: the end of b\n");
  EXPECT_EQ(out.size() + dropped, 900u);  // 100 lines of 9 bytes
  const std::string sys = Text(LogFd::kSys);
  EXPECT_NE(sys.find("log limit: " + std::to_string(dropped) + " bytes"), std::string::npos) << sys;
  EXPECT_LT(sys.find("cut here"), sys.find("exited with code 0")) << sys;
}

TEST_F(RedisLogSinkTest, LargeOutputIsSplitIntoBoundedEntries) {
  {
    RedisLogSink sink(Connect(), "j1", {}, Masker{});
    sink.Write("a", LogFd::kOut, std::string(300000, 'y'));
  }
  auto entries = Entries();
  EXPECT_GE(entries.size(), 5u);
  size_t total = 0;
  for (const auto& e : entries) {
    EXPECT_LE(e.Field("data")->size(), 65536u);
    total += e.Field("data")->size();
  }
  EXPECT_EQ(total, 300000u);
}

TEST_F(RedisLogSinkTest, MasksSecrets) {
  Masker masker;
  masker.Add("hunter2-token");
  {
    RedisLogSink sink(Connect(), "j1", {}, masker);
    sink.Write("a", LogFd::kOut, "password is hunter2-token\n");
  }
  EXPECT_EQ(Text(LogFd::kOut), "password is [MASKED]\n");
}

TEST_F(RedisLogSinkTest, ASecretAddedToTheJobsMaskerMidJobIsMaskedInLaterLines) {
  auto masker = std::make_shared<Masker>();
  {
    RedisLogSink sink(Connect(), "j1", {}, masker);
    sink.Write("", LogFd::kSys, "pulling the cache\n");
    masker->Add("bearer-abcdef");  // the registry handed the job a token
    sink.Write("", LogFd::kSys, "registry: retrying with bearer-abcdef\n");
    sink.Write("build", LogFd::kOut, "a new step's stream sees it too: bearer-abcdef\n");
  }
  EXPECT_EQ(Text(LogFd::kSys), "pulling the cache\nregistry: retrying with [MASKED]\n");
  EXPECT_EQ(Text(LogFd::kOut), "a new step's stream sees it too: [MASKED]\n");
}

Masker SecretMasker() {
  Masker masker;
  masker.Add("hunter2-token");
  return masker;
}

TEST_F(RedisLogSinkTest, ASecretSplitAcrossTwoWritesIsMaskedWhereverItIsCut) {
  const std::string text = "password is hunter2-token, ok\n";
  for (size_t cut = 0; cut <= text.size(); ++cut) {
    const std::string job = "cut" + std::to_string(cut);
    {
      RedisLogSink sink(Connect(), job, {}, SecretMasker());
      sink.Write("a", LogFd::kOut, text.substr(0, cut));
      sink.Write("a", LogFd::kOut, text.substr(cut));
    }
    EXPECT_EQ(Text(LogFd::kOut, job), "password is [MASKED], ok\n") << "cut at " << cut;
  }
}

TEST_F(RedisLogSinkTest, ASecretSplitAcrossThreeWritesIsMasked) {
  {
    RedisLogSink sink(Connect(), "j1", {}, SecretMasker());
    sink.Write("a", LogFd::kOut, "x hunt");
    sink.Write("a", LogFd::kOut, "er2-to");
    sink.Write("a", LogFd::kOut, "ken y\n");
  }
  EXPECT_EQ(Text(LogFd::kOut), "x [MASKED] y\n");
}

TEST_F(RedisLogSinkTest, AnEncodedSecretSplitAcrossWritesIsMasked) {
  {
    RedisLogSink sink(Connect(), "j1", {}, SecretMasker());
    sink.Write("a", LogFd::kOut, "auth: aHVudGVy");  // base64 of hunter2-token, cut
    sink.Write("a", LogFd::kOut, "Mi10b2tlbg==\n");
  }
  EXPECT_EQ(Text(LogFd::kOut), "auth: [MASKED]\n");
}

TEST_F(RedisLogSinkTest, StdoutAndStderrKeepTheirHeldBytesApart) {
  {
    RedisLogSink sink(Connect(), "j1", {}, SecretMasker());
    sink.Write("a", LogFd::kOut, "A hunter2-");
    sink.Write("a", LogFd::kErr, "token B\n");  // would complete the secret if mixed
    sink.Write("a", LogFd::kOut, "token C\n");
  }
  EXPECT_EQ(Text(LogFd::kOut), "A [MASKED] C\n");
  EXPECT_EQ(Text(LogFd::kErr), "token B\n");
  using Run = std::tuple<std::string, std::string, std::string>;
  EXPECT_EQ(Runs(),
            (std::vector<Run>{
                {"a", "out", "A "}, {"a", "err", "token B\n"}, {"a", "out", "[MASKED] C\n"}}));
}

TEST_F(RedisLogSinkTest, FlushReleasesHeldBytes) {
  RedisLogSink sink(Connect(), "j1", {}, SecretMasker());
  sink.Write("a", LogFd::kOut, "prompt: hunt");
  sink.Flush();
  EXPECT_EQ(Text(LogFd::kOut), "prompt: hunt");
}

// Steps may run at the same time: another step's write neither ends a step's held bytes nor
// completes its secret; the step's own end (or the flush) releases them.
TEST_F(RedisLogSinkTest, HeldBytesComeOutBeforeTheStepsSysLineAndNotAtAnotherStepsWrite) {
  {
    RedisLogSink sink(Connect(), "j1", {}, SecretMasker());
    sink.Write("a", LogFd::kOut, "last words: hunt");
    sink.Write("a", LogFd::kSys, "step a exited with code 0\n");
    sink.Write("b", LogFd::kOut, "b says hunter2");
    sink.Write("c", LogFd::kOut, "-token\n");  // another step: not the rest of b's secret
  }
  using Run = std::tuple<std::string, std::string, std::string>;
  EXPECT_EQ(Runs(), (std::vector<Run>{{"a", "out", "last words: hunt"},
                                      {"a", "sys", "step a exited with code 0\n"},
                                      {"b", "out", "b says "},
                                      {"c", "out", "-token\n"},
                                      {"b", "out", "hunter2"}}));
}

TEST_F(RedisLogSinkTest, ASecretSplitAcrossWritesStaysMaskedWhileAnotherStepWritesBetween) {
  {
    RedisLogSink sink(Connect(), "j1", {}, SecretMasker());
    sink.Write("a", LogFd::kOut, "key: hunter2-");
    sink.Write("b", LogFd::kOut, "compiling\n");
    sink.Write("", LogFd::kSys, "agent: a line of no step\n");
    sink.FlushStep("b");
    sink.Write("a", LogFd::kOut, "token\n");
  }
  std::string a;
  for (const auto& [step, fd, data] : Runs()) a += step == "a" ? data : "";
  EXPECT_EQ(a, "key: [MASKED]\n");
  EXPECT_EQ(Text(LogFd::kOut).find("hunter2"), std::string::npos) << Text(LogFd::kOut);
}

TEST_F(RedisLogSinkTest, OrdinaryOutputIsSentWithoutWaitingForMore) {
  RedisLogSink sink(Connect(), "j1", {}, SecretMasker());
  sink.Write("a", LogFd::kOut, "compiling hunter\n");
  sink.Write("a", LogFd::kOut, "almost: hunter2-tok");
  EXPECT_TRUE(testing::WaitFor([&] { return Text(LogFd::kOut) == "compiling hunter\nalmost: "; }));
}

// A command echo written while the step runs (CommandEcho) can fall between the two writes of a
// secret; the first part, held back, must stay held.
TEST_F(RedisLogSinkTest, AnEchoBetweenTwoPartsOfASecretKeepsItMasked) {
  {
    RedisLogSink sink(Connect(), "j1", {}, SecretMasker());
    sink.Write("a", LogFd::kOut, "split: hunter2-");
    sink.WriteAside("a", "$ printf 'split: ...'\n");
    sink.Write("a", LogFd::kOut, "token\n");
  }
  EXPECT_EQ(Text(LogFd::kOut), "split: [MASKED]\n");
}

TEST_F(RedisLogSinkTest, TheLimitCutsMaskedOutputSoNoPieceOfASecretShows) {
  ReportSettings settings;
  settings.log_limit_bytes = 24;  // a head of 12 bytes, a tail of 3
  {
    RedisLogSink sink(Connect(), "j1", settings, SecretMasker());
    sink.Write("a", LogFd::kOut, "0123456789 hunter2-token and more");
  }
  EXPECT_EQ(Text(LogFd::kOut), "0123456789 [ore");
  EXPECT_NE(Text(LogFd::kSys).find("log limit: "), std::string::npos);
}

TEST_F(RedisLogSinkTest, OutputRedisRefusesIsCountedAndToldOnceRedisTakesWritesAgain) {
  RedisLogSink sink(Connect(), "j1", {}, Masker{});
  sink.Write("build", LogFd::kOut, "kept\n");
  sink.Flush();
  server_.Cli({"CONFIG", "SET", "maxmemory", "1"});  // noeviction: every write refused
  sink.Write("build", LogFd::kOut, std::string(300000, 'x'));
  sink.Flush();
  EXPECT_EQ(sink.lost_bytes(), 300000u);
  server_.Cli({"CONFIG", "SET", "maxmemory", "0"});
  sink.Write("build", LogFd::kOut, "after\n");
  sink.Flush();
  EXPECT_EQ(Text(LogFd::kOut), "kept\nafter\n");
  const std::string sys = Text(LogFd::kSys);
  EXPECT_NE(sys.find("redis refused 300000 bytes of step build's output; they are lost from this "
                     "log (redis: OOM on ci:logs:j1: "),
            std::string::npos)
      << sys;
}

TEST_F(RedisLogSinkTest, LossesAreToldAtAFlushWhenNothingElseIsWritten) {
  RedisLogSink sink(Connect(), "j1", {}, Masker{});
  server_.Cli({"CONFIG", "SET", "maxmemory", "1"});
  sink.Write("s", LogFd::kErr, "gone\n");
  sink.Flush();
  server_.Cli({"CONFIG", "SET", "maxmemory", "0"});
  EXPECT_EQ(Text(LogFd::kSys), "");
  sink.Flush();
  EXPECT_NE(Text(LogFd::kSys).find("redis refused 5 bytes of step s's output"), std::string::npos);
}

}  // namespace
}  // namespace raibid
