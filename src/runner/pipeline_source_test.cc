// Where the runner takes a job's pipeline from, and the limits checked on the way.
#include "runner/pipeline_source.h"

#include <gtest/gtest.h>

#include "support/temp_dir.h"

namespace raibid {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;
using testing::WriteFile;

constexpr const char* kOneStep = "steps:\n  - name: test\n    command: make test\n";

class PipelineSourceTest : public ::testing::Test {
 protected:
  Result<Pipeline> Load(const Job& job, const InputLimits& limits = {}) {
    return LoadPipeline(job, dir_.path(), limits, &warnings_);
  }
  std::string ErrorOf(const Job& job, const InputLimits& limits = {}) {
    auto p = Load(job, limits);
    if (p) return "";
    EXPECT_EQ(p.error().kind, ErrorKind::kInvalidPipeline);
    return p.error().message;
  }
  TempDir dir_;
  Job job_{.id = "j", .repository = "a/b", .branch = "main"};
  std::vector<std::string> warnings_;
};

TEST_F(PipelineSourceTest, ReadsTheFileOrTheInlinePipeline) {
  WriteFile(dir_.path() / ".raibid.yaml", kOneStep);
  auto p = Load(job_);
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_EQ(p->steps.at(0).command, "make test");
  Job inline_job = job_;
  inline_job.pipeline_text = R"({"steps": [{"name": "a", "command": "echo inline"}]})";
  p = Load(inline_job);
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_EQ(p->steps.at(0).command, "echo inline");
}

TEST_F(PipelineSourceTest, AFileJustPastPipelineBytesIsNotRead) {
  const std::string text = std::string(kOneStep) + "# " + std::string(100, 'x') + "\n";
  WriteFile(dir_.path() / ".raibid.yaml", text);
  InputLimits limits;
  limits.pipeline_bytes = text.size();
  EXPECT_EQ(ErrorOf(job_, limits), "");
  limits.pipeline_bytes = text.size() - 1;
  EXPECT_EQ(ErrorOf(job_, limits), ".raibid.yaml: document of " + std::to_string(text.size()) +
                                       " bytes is over agent.limits.pipeline_bytes (" +
                                       std::to_string(text.size() - 1) + " bytes)");
  // The default: 1 MiB.
  WriteFile(dir_.path() / ".raibid.yaml", text + std::string(2 << 20, '#'));
  EXPECT_EQ(ErrorOf(job_),
            ".raibid.yaml: document of 2.0 MiB is over agent.limits.pipeline_bytes (1 MiB)");
}

TEST_F(PipelineSourceTest, AFileOutsideTheWorkspaceIsStillRefused) {
  WriteFile(dir_.path() / "outside.yaml", kOneStep);
  fs::create_directories(dir_.path() / "ws");
  fs::create_symlink(dir_.path() / "outside.yaml", dir_.path() / "ws/.raibid.yaml");
  auto p = LoadPipeline(job_, dir_.path() / "ws", {}, &warnings_);
  ASSERT_FALSE(p);
  EXPECT_TRUE(p.error().message.starts_with(".raibid.yaml: ")) << p.error().message;
}

TEST_F(PipelineSourceTest, TheInlinePipelineIsParsedWithTheLimits) {
  Job inline_job = job_;
  inline_job.pipeline_text =
      R"({"steps": [{"name": "a", "command": "x"}, {"name": "b", "command": "y"},
                    {"name": "c", "command": "z"}]})";
  InputLimits limits;
  limits.steps = 3;
  EXPECT_EQ(ErrorOf(inline_job, limits), "");
  limits.steps = 2;
  EXPECT_EQ(ErrorOf(inline_job, limits),
            "job.pipeline.steps: 3 steps are more than agent.limits.steps (2)");
}

// The inline pipeline reaches the parser re-printed; a line and column in that text would point
// at nothing the user wrote, so errors and warnings name the key path alone.
TEST_F(PipelineSourceTest, InlinePipelineErrorsNameTheKeyPathNotAPosition) {
  Job inline_job = job_;
  inline_job.pipeline_text =
      R"({"steps": [{"name": "a", "command": "x"}, {"name": "b", "comand": "y"}]})";
  EXPECT_EQ(ErrorOf(inline_job), "job.pipeline.steps[1].command: required");
  EXPECT_EQ(warnings_, (std::vector<std::string>{"job.pipeline.steps[1].comand: unknown key, "
                                                 "ignored (did you mean 'command'?)"}));
}

TEST_F(PipelineSourceTest, TheJobsAndThePipelinesEnvTogetherJustPastEnvBytes) {
  WriteFile(dir_.path() / ".raibid.yaml", std::string("env:\n  PIPE: abcd\n") + kOneStep);
  Job job = job_;
  job.env = {{"JOB", std::string(10, 'v')}};  // 4 + 4 + 3 + 10 = 21 bytes in all
  InputLimits limits;
  limits.env_bytes = 21;
  EXPECT_EQ(ErrorOf(job, limits), "");
  limits.env_bytes = 20;
  EXPECT_EQ(ErrorOf(job, limits),
            "env: the job's and the pipeline's together hold 21 bytes, over "
            "agent.limits.env_bytes (20 bytes)");
  // A name both set counts once, with the job's value (what the steps get).
  job.env = {{"PIPE", std::string(16, 'v')}};  // 4 + 16
  EXPECT_EQ(ErrorOf(job, limits), "");
}

}  // namespace
}  // namespace raibid
