#include "cli/options.h"

#include <cstdio>
#include <cstdlib>

namespace raibid::cli {

Result<Settings> ResolveSettings(const CommonFlags& flags, std::vector<std::string>* warnings) {
  std::string path = flags.config;
  bool required = !path.empty();
  if (path.empty()) {
    // NOLINTNEXTLINE(concurrency-mt-unsafe): the agent never sets variables (no setenv/putenv)
    const char* env = std::getenv("RAIBID_CONFIG");
    if (env && *env) {
      path = env;
      required = true;
    } else {
      path = "/etc/raibid/agent.yaml";
    }
  }
  Settings settings;
  std::error_code ec;
  if (required || std::filesystem::exists(path, ec)) {
    std::vector<std::string> found;
    auto loaded = LoadSettingsFile(path, &found);
    for (const auto& w : found) warnings->push_back(path + ": " + w);
    if (!loaded) return loaded;
    settings = std::move(*loaded);
  } else {
    auto defaults = ParseSettings("", "<defaults>", ProcessEnvLookup(), nullptr);
    if (!defaults) return defaults;
    settings = std::move(*defaults);
  }
  if (!flags.redis.empty()) settings.redis.url = flags.redis;
  return settings;
}

}  // namespace raibid::cli
