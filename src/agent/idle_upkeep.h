// The agent's idle upkeep (run by the housekeeper once the agent has had no job for
// agent.cache.idle_maintenance_seconds): mirrors packed, the directories of jobs no longer
// running removed, the dependency cache trimmed to its size, dangling images pruned.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

namespace raibid {

class CacheStore;
class DockerExecutor;
class JobRunner;
class SourceCache;

// A job starting right now has a fresh workspace: only directories older than this are left over.
inline constexpr std::chrono::minutes kStaleWorkspaceAge{10};

// Removes the directories under `work_dir` (workspaces and their JobDirs siblings) whose job is
// not in `running` and which were last written `min_age` or longer ago; returns how many went.
// Entries it cannot read or remove are skipped.
int RemoveStaleJobDirs(const std::filesystem::path& work_dir,
                       const std::vector<std::string>& running,
                       std::chrono::seconds min_age = kStaleWorkspaceAge);

class IdleUpkeep {
 public:
  // `cache` and `docker` may be null (caching off, shell executor). All must outlive this.
  IdleUpkeep(std::filesystem::path work_dir, SourceCache& source, CacheStore* cache,
             JobRunner& runner, DockerExecutor* docker)
      : work_dir_(std::move(work_dir)),
        source_(source),
        cache_(cache),
        runner_(runner),
        docker_(docker) {}

  // One round; logs one line of what it did.
  void Run();

 private:
  void PruneImages();

  const std::filesystem::path work_dir_;
  SourceCache& source_;
  CacheStore* cache_;
  JobRunner& runner_;
  DockerExecutor* docker_;
};

}  // namespace raibid
