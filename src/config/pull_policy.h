// When the `docker` executor pulls a job's image (agent.docker.pull_policy). Parsed once, with
// the rest of the configuration (config/settings.cc); the executor only compares.
#pragma once

namespace raibid {

enum class PullPolicy {
  kIfNotPresent,  // "if-not-present": pull only an image the engine lacks
  kAlways,        // "always": pull before every job
  kNever,         // "never": an image the engine lacks fails the job
};

}  // namespace raibid
