#include "cli/options.h"

#include <cstdio>
#include <cstdlib>

namespace raibid::cli {

Result<Settings> ResolveSettings(const CommonFlags& flags) {
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
    std::vector<std::string> warnings;
    auto loaded = LoadSettingsFile(path, &warnings);
    for (const auto& w : warnings)
      std::fprintf(stderr, "warning: %s: %s\n", path.c_str(), w.c_str());
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
