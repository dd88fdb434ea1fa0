// Replaces every known secret in a text with "[MASKED]". Secrets are registered once when a job
// (or the agent) starts; Apply is then safe to call from several threads.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace raibid {

inline constexpr std::string_view kMasked = "[MASKED]";

class Masker {
 public:
  // Values shorter than 4 characters are ignored: masking them would garble ordinary output.
  void Add(std::string_view secret);
  std::string Apply(std::string_view text) const;
  bool empty() const { return secrets_.empty(); }

 private:
  std::vector<std::string> secrets_;  // longest first, so a secret containing another wins
};

}  // namespace raibid
