#include "runner/pipeline_source.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "util/path_guard.h"

namespace raibid {
namespace {

Result<std::string> ReadPipelineFile(const std::filesystem::path& workspace, uint64_t max_bytes) {
  auto fd = OpenBeneath(workspace, kPipelineFile, O_RDONLY | O_NONBLOCK);
  if (!fd) {
    if (fd.error().fault == PathFault::kNotFound) {
      return Fail(ErrorKind::kInvalidPipeline,
                  std::string(kPipelineFile) +
                      ": not found at the repository root, and the job "
                      "has no inline pipeline");
    }
    return Fail(ErrorKind::kInvalidPipeline,
                std::string(kPipelineFile) + ": " + fd.error().message);
  }
  struct stat st = {};
  if (fstat(fd->get(), &st) != 0 || !S_ISREG(st.st_mode)) {
    return Fail(ErrorKind::kInvalidPipeline,
                std::string(kPipelineFile) + ": must be a regular file");
  }
  const auto size = static_cast<uint64_t>(st.st_size);
  if (size > max_bytes) {
    return Fail(ErrorKind::kInvalidPipeline, std::string(kPipelineFile) + ": document of " +
                                                 SizeOverLimit(size, "pipeline_bytes", max_bytes));
  }
  std::string text(static_cast<size_t>(size), '\0');
  size_t got = 0;
  while (got < text.size()) {
    const ssize_t n = read(fd->get(), text.data() + got, text.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<size_t>(n);
  }
  text.resize(got);
  return text;
}

}  // namespace

Result<Pipeline> LoadPipeline(const Job& job, const std::filesystem::path& workspace,
                              const InputLimits& limits, std::vector<std::string>* warnings) {
  Result<Pipeline> pipeline;
  if (job.pipeline_text) {
    pipeline = ParseEmbeddedPipeline(*job.pipeline_text, "job.pipeline", warnings, limits);
  } else {
    auto file = ReadPipelineFile(workspace, limits.pipeline_bytes);
    if (!file) return std::unexpected(file.error());
    pipeline = ParsePipeline(*file, kPipelineFile, warnings, limits);
  }
  if (!pipeline) return pipeline;
  // What the steps get: the pipeline's env with the job's over it.
  std::map<std::string, std::string> env = pipeline->env;
  for (const auto& [name, value] : job.env) env[name] = value;
  if (const uint64_t bytes = EnvBytes(env); bytes > limits.env_bytes) {
    return Fail(ErrorKind::kInvalidPipeline, "env: the job's and the pipeline's together hold " +
                                                 SizeNear(bytes, limits.env_bytes) + ", over " +
                                                 SizeLimitText("env_bytes", limits.env_bytes));
  }
  return pipeline;
}

}  // namespace raibid
