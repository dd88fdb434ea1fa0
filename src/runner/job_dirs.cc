#include "runner/job_dirs.h"

namespace raibid {

JobDirs JobDirs::For(const std::filesystem::path& work_dir, std::string_view job_id) {
  const std::string id(job_id);
  return {.workspace = work_dir / id,
          .home = work_dir / (id + std::string(kHomeSuffix)),
          .auth = work_dir / (id + std::string(kAuthSuffix)),
          .tmp = work_dir / (id + std::string(kTmpSuffix))};
}

std::string JobIdOfDir(std::string_view dir_name) {
  for (const auto suffix : kJobDirSuffixes) {
    if (dir_name.size() > suffix.size() && dir_name.ends_with(suffix)) {
      dir_name.remove_suffix(suffix.size());
      break;
    }
  }
  return std::string(dir_name);
}

}  // namespace raibid
