// The pipeline parser: `.raibid.yaml` from a repository, i.e. written by whoever pushed. A
// pipeline that parses keeps the contract of pipeline.h.
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.h"
#include "pipeline/pipeline.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> warnings;
  auto p = raibid::ParsePipeline(text, ".raibid.yaml", &warnings);
  if (!p) {
    FUZZ_CHECK(p.error().kind == raibid::ErrorKind::kInvalidPipeline, "error kind");
    FUZZ_CHECK(p.error().message.starts_with(".raibid.yaml:"), "message names FILE:LINE:COL");
    return 0;
  }
  FUZZ_CHECK(!p->steps.empty(), "at least one step");
  std::set<std::string> names;
  for (const auto& s : p->steps) {
    FUZZ_CHECK(!s.name.empty() && s.name.size() <= 100, "step name length");
    FUZZ_CHECK(names.insert(s.name).second, "step names are unique");
    FUZZ_CHECK(!s.command.empty(), "non-empty command");
    FUZZ_CHECK(s.command.find('\0') == std::string::npos, "no NUL in a command");
    if (s.timeout_minutes) FUZZ_CHECK(*s.timeout_minutes > 0, "positive step timeout");
  }
  for (const auto& [name, value] : p->env) {
    FUZZ_CHECK(!name.empty(), "env name");
    FUZZ_CHECK(value.find('\0') == std::string::npos, "no NUL in an env value");
  }
  return 0;
}
