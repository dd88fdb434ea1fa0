// The configuration loader: the agent YAML with `${VAR}` expansion from a fixed environment
// (never the process's). Settings that parse have their derived fields filled in.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "config/env_expand.h"
#include "config/settings.h"
#include "fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const raibid::EnvLookup lookup = raibid::MapEnvLookup(
      {{"HOME", "/root"}, {"REDIS_URL", "redis://127.0.0.1:6380"}, {"N", "4"}, {"EMPTY", ""}});
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> warnings;
  auto s = raibid::ParseSettings(text, "agent.yaml", lookup, &warnings);
  if (!s) {
    FUZZ_CHECK(s.error().kind == raibid::ErrorKind::kConfig, "error kind");
    FUZZ_CHECK(!s.error().message.empty(), "error message");
    return 0;
  }
  FUZZ_CHECK(!s->redis.consumer.empty(), "redis.consumer filled in");
  FUZZ_CHECK(!s->docker_host.empty(), "docker_host filled in");
  return 0;
}
