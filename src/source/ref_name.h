// Validation of the refs a job names. They end up as git arguments, so anything git could read
// as an option or as revision syntax is refused before git sees it.
#pragma once

#include <string_view>

#include "util/error.h"

namespace raibid {

// A full or abbreviated commit SHA: 4 to 40 hexadecimal characters. kInvalidJob naming "commit".
Status ValidateCommit(std::string_view sha);

// A branch or tag name under git check-ref-format rules, and nothing git could take for an
// option: not empty, no leading '-' or '/', no trailing '/', '.' or ".lock", no "..", "//" or
// "@{", no component starting with '.', not "@", no control characters, space or any of
// ~ ^ : ? * [ \. kInvalidJob naming `field` ("branch", "tag").
Status ValidateRefName(std::string_view field, std::string_view ref);

// What a job names to check out: at least one of `commit`, `branch` and `tag` (kInvalidJob
// "commit, branch or tag: at least one is required"), each one given valid as above; the first
// problem found, in that order.
Status ValidateRefs(std::string_view commit, std::string_view branch, std::string_view tag);

}  // namespace raibid
