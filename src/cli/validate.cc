#include "cli/validate.h"

#include <cstdio>
#include <filesystem>

#include "cache/cache_plan.h"
#include "cli/input_file.h"
#include "pipeline/pipeline.h"
#include "registry/artifact_paths.h"
#include "runner/pipeline_source.h"

namespace raibid::cli {
namespace {

namespace fs = std::filesystem;

// The rules the runner applies to a parsed pipeline before its steps, checked against the
// directory the file is in as the workspace. Rules that depend on an agent's configuration
// (privileged, volumes, network) are that agent's to decide and are not checked here.
Status CheckAsTheRunnerDoes(const Pipeline& pipeline, const fs::path& workspace) {
  auto plan = MakeCachePlan(
      {.pipeline = &pipeline, .repository = "validate", .workspace = workspace, .home = {}});
  if (!plan) return std::unexpected(plan.error());
  if (pipeline.artifact_paths.empty()) return {};
  auto artifacts = ResolveArtifactPaths(workspace, pipeline.artifact_paths);
  if (!artifacts && artifacts.error().kind == ErrorKind::kInvalidPipeline) {
    return std::unexpected(artifacts.error());
  }
  return {};
}

}  // namespace

int Validate(const std::string& path) {
  std::error_code ec;
  const fs::path file =
      fs::is_directory(path, ec) ? fs::path(path) / kPipelineFile : fs::path(path);
  const InputLimits limits;
  auto text = ReadInputFile(file.string(), limits.pipeline_bytes);
  if (!text) {
    std::fprintf(stderr, "%s\n", text.error().message.c_str());
    return 1;
  }
  std::vector<std::string> warnings;
  auto pipeline = ParsePipeline(*text, file.string(), &warnings, limits);
  for (const auto& w : warnings) std::fprintf(stderr, "warning: %s\n", w.c_str());
  Status checked =
      pipeline ? CheckAsTheRunnerDoes(
                     *pipeline, file.parent_path().empty() ? fs::path(".") : file.parent_path())
               : Status(std::unexpected(pipeline.error()));
  if (!checked) {
    const std::string& message = checked.error().message;
    // The parser's errors name the file already; the runner's rules name a key.
    const bool named = message.starts_with(file.string() + ":");
    std::fprintf(stderr, "%s%s\n", named ? "" : (file.string() + ": ").c_str(), message.c_str());
    return 1;
  }
  std::printf("%s: ok (%zu step%s)\n", file.string().c_str(), pipeline->steps.size(),
              pipeline->steps.size() == 1 ? "" : "s");
  return 0;
}

}  // namespace raibid::cli
