#include "source/git_config_file.h"

#include <fstream>

namespace raibid {

std::string QuoteConfigValue(std::string_view value) {
  std::string out = "\"";
  for (char c : value) {
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    if (c == '\\' || c == '"') out += '\\';
    out += c;
  }
  return out + "\"";
}

Status AppendGitConfig(const std::filesystem::path& config_file,
                       const std::vector<GitConfigSection>& sections) {
  std::string text;
  for (const auto& section : sections) {
    text += "[" + section.name + "]\n";
    for (const auto& [key, value] : section.entries) {
      text += "\t" + key + " = " + QuoteConfigValue(value) + "\n";
    }
  }
  std::ofstream out(config_file, std::ios::binary | std::ios::app);
  out << text;
  if (!out.flush()) {
    return Fail(ErrorKind::kInfrastructure, "cannot write " + config_file.string(), true);
  }
  return {};
}

}  // namespace raibid
