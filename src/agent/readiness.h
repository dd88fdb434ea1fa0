// Whether this agent can take a job now, and if not, why: what /readyz answers (docs/reference.md,
// HTTP). A list of named checks, each giving nothing when all is well or the reason it is not
// ("work dir /w not writable: Permission denied"); the agent is ready when every check passes.
// WireAgent adds the agent's own checks (Redis, directories, free disk, the container engine);
// anyone else may add a check, or hold a reason until it is released (a job that hit a local
// fault).
//
// Thread-safe: checks are added and evaluated from any thread (the HTTP threads evaluate). A
// check runs on the evaluating thread, without Readiness' lock held; it must be thread-safe and
// quick.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "util/error.h"
#include "util/mutex.h"

namespace raibid {

class Agent;

class Readiness {
 public:
  // Nothing when ready, else why not, in words an operator can act on.
  using Check = std::function<std::optional<std::string>()>;

  // Adds a check under `name`, or replaces the one of that name. Checks run in the order their
  // names were first added.
  void Add(const std::string& name, Check check);
  // Not ready for `reason` until Release(name): for a condition noticed elsewhere.
  void Hold(const std::string& name, std::string reason);
  void Release(const std::string& name);

  // Runs every check: the failing ones' reasons joined by "; ", or nothing when all pass.
  std::optional<std::string> NotReady() const;

 private:
  mutable Mutex mu_;
  std::vector<std::pair<std::string, Check>> checks_ GUARDED_BY(mu_);
};

// A check from a Status-returning probe: its error message is the reason.
Readiness::Check FromStatus(std::function<Status()> probe);

// Creates, writes and removes a probe file in `dir`. Fails with "<what> <dir> not writable:
// <errno text>" (kConfig, or kInfrastructure when the disk is full or failing).
Status CheckWritable(const std::filesystem::path& dir, std::string_view what);

// The space unprivileged users may still take on the filesystem holding `dir` is at least
// `min_free` bytes (0: always true). Fails with "<what> <dir>: 200 MiB free, below
// agent.min_free_disk (1 GiB)", or with the errno when the filesystem cannot be asked.
Status CheckFreeSpace(const std::filesystem::path& dir, std::string_view what, uint64_t min_free);

// The reason both the readiness check and the low-disk pause (agent/disk_guard.h) give: "<what>
// <dir>: 200 MiB free, below agent.min_free_disk (1 GiB)".
std::string LowSpaceReason(std::string_view what, const std::filesystem::path& dir, uint64_t free,
                           uint64_t min_free);

// The agent's own part: its consumer is connected with the group registered, and it is neither
// starting nor draining. `redis` names the server for the reason ("redis://host:6379").
Readiness::Check AgentCheck(const Agent& agent, std::string redis, std::string group);

}  // namespace raibid
