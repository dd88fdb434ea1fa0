#include "util/near_name.h"

#include <algorithm>

#include "util/text.h"

namespace raibid {
namespace {

size_t AllowedEdits(size_t length) { return length <= 4 ? 1 : length <= 10 ? 2 : 3; }

}  // namespace

size_t EditDistance(std::string_view a_in, std::string_view b_in) {
  const std::string a = Lower(a_in), b = Lower(b_in);
  // Three rows of the dynamic programme: two back are needed for a swap.
  std::vector<size_t> before(b.size() + 1), previous(b.size() + 1), current(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) previous[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    current[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      current[j] = std::min({previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        current[j] = std::min(current[j], before[j - 2] + 1);
      }
    }
    std::swap(before, previous);
    std::swap(previous, current);
  }
  return previous[b.size()];
}

std::optional<std::string> NearestName(std::string_view name,
                                       const std::vector<std::string_view>& known) {
  if (std::find(known.begin(), known.end(), name) != known.end()) return std::nullopt;
  std::optional<std::string> best;
  size_t best_distance = AllowedEdits(name.size()) + 1;
  for (std::string_view candidate : known) {
    const size_t d = EditDistance(name, candidate);
    // A name that shares nothing with the candidate but its length is no typo of it.
    if (d < best_distance && d < candidate.size()) {
      best = std::string(candidate);
      best_distance = d;
    }
  }
  return best;
}

std::string DidYouMean(std::string_view name, const std::vector<std::string_view>& known) {
  auto near = NearestName(name, known);
  return near ? " (did you mean '" + *near + "'?)" : "";
}

}  // namespace raibid
