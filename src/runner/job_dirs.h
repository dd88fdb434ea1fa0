// Where a job's files live under the agent's work directory, named in one place: the runner makes
// them, the idle upkeep removes the ones no running job owns.
#pragma once

#include <array>
#include <filesystem>
#include <string>
#include <string_view>

namespace raibid {

struct JobDirs {
  std::filesystem::path workspace;  // WORK/ID: the checkout the steps run in
  std::filesystem::path home;       // WORK/ID.home: the job's cache home ("~" in cache.paths)
  std::filesystem::path auth;       // WORK/ID.auth: the registry auth file of image-building steps
  std::filesystem::path tmp;        // WORK/ID.tmp: the shell executor's TMPDIR for the job's steps

  static JobDirs For(const std::filesystem::path& work_dir, std::string_view job_id);
};

// The suffixes a job's directories other than its workspace carry.
// WORK/ID.hosts is the docker executor's /etc/hosts for a job with services or step images.
inline constexpr std::string_view kHomeSuffix = ".home", kAuthSuffix = ".auth",
                                  kHostsSuffix = ".hosts", kTmpSuffix = ".tmp";
inline constexpr std::array<std::string_view, 4> kJobDirSuffixes = {kHomeSuffix, kAuthSuffix,
                                                                    kHostsSuffix, kTmpSuffix};

// The id of the job a directory under the work directory belongs to: its name without one of
// kJobDirSuffixes.
std::string JobIdOfDir(std::string_view dir_name);

}  // namespace raibid
