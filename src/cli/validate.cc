#include "cli/validate.h"

#include <cstdio>
#include <fstream>
#include <sstream>

#include "pipeline/pipeline.h"

namespace raibid::cli {

int Validate(const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "%s: cannot read the file\n", file.c_str());
    return 1;
  }
  std::stringstream text;
  text << in.rdbuf();
  std::vector<std::string> warnings;
  auto pipeline = ParsePipeline(text.str(), file, &warnings);
  for (const auto& w : warnings) std::fprintf(stderr, "warning: %s\n", w.c_str());
  if (!pipeline) {
    std::fprintf(stderr, "%s\n", pipeline.error().message.c_str());
    return 1;
  }
  std::printf("%s: ok (%zu step%s)\n", file.c_str(), pipeline->steps.size(),
              pipeline->steps.size() == 1 ? "" : "s");
  return 0;
}

}  // namespace raibid::cli
