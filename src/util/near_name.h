// "Did you mean": the known name nearest to one a user typed that is not known (a job key, a
// pipeline key, a configuration key), so a typo is named with its likely fix.
#pragma once

#include <cstddef>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace raibid {

// The edit distance between `a` and `b` counting an insertion, a deletion, a substitution and a
// swap of two neighbouring bytes as one edit each (optimal string alignment), ASCII letters
// compared without case: "brnach" -> "branch" is 1, "timout" -> "timeout" is 1.
size_t EditDistance(std::string_view a, std::string_view b);

// The name of `known` nearest to `name`, when one is near enough to be a typo of it: at most 1
// edit for names of up to 4 bytes, 2 up to 10, else 3; the first of equally near names. Nothing
// for a name that is itself known.
std::optional<std::string> NearestName(std::string_view name,
                                       const std::vector<std::string_view>& known);

// " (did you mean 'branch'?)" for a near name, else "": to append to a message naming `name`.
std::string DidYouMean(std::string_view name, const std::vector<std::string_view>& known);

}  // namespace raibid
