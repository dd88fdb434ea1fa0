// What tests that run the real `raibid-agent run` binary write and submit: the smallest
// configuration (Redis, HTTP port, work and cache directories under `dir`) and a one-step job.
#pragma once

#include <filesystem>
#include <string>

namespace raibid::testing {

// agent.yaml text for an agent on `redis_url`, answering HTTP on 127.0.0.1:`port`.
inline std::string MinimalAgentYaml(const std::string& redis_url, int port,
                                    const std::filesystem::path& dir) {
  return "agent:\n  http:\n    listen: \"127.0.0.1:" + std::to_string(port) +
         "\"\n  redis:\n    url: \"" + redis_url + "\"\n  work_dir: \"" + (dir / "work").string() +
         "\"\n  cache:\n    path: \"" + (dir / "cache").string() + "\"\n";
}

// A job of one step `command` on the main branch of the repository at `repository_url`.
inline std::string OneStepJob(const std::string& id, const std::string& repository_url,
                              const std::string& command) {
  return R"({"job_id": ")" + id + R"(", "repository": ")" + repository_url +
         R"(", "branch": "main", "pipeline": {"steps": [{"name": "s", "command": ")" + command +
         R"("}]}})";
}

}  // namespace raibid::testing
