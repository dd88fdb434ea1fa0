// Where a job's repository lives. A job names it either as "owner/name" (resolved against the
// configured Gitea base URL) or as a full URL; both end up as one URL that is safe to hand to git
// as an argument and to print in a log.
#pragma once

#include <string>
#include <string_view>

#include "util/error.h"

namespace raibid {

// "owner/name" becomes "<base_url>/owner/name.git" (a ".git" suffix given is kept, not doubled);
// https://, http://, ssh:// and file:// URLs pass through unchanged. Refused with kInvalidJob
// naming the field "repository": empty input, whitespace or control characters, a leading '-',
// a ".." path segment, other schemes (ext::, scp-like "host:path"), and URLs embedding a
// password ("https://user:secret@host/..."), so no credential ever travels inside a URL.
Result<std::string> ResolveRepositoryUrl(std::string_view repository, std::string_view base_url);

// Checks a URL already resolved (the rules above for full URLs).
Status ValidateRepositoryUrl(std::string_view url);

// The directory name of the bare mirror of `url`: a readable slug of its last path segments plus
// a 64-bit hash of the whole URL, e.g. "owner-name-1f2e3d4c5b6a7988.git". Stable across runs and
// machines, so processes sharing a cache directory agree on it.
std::string MirrorDirName(std::string_view url);

}  // namespace raibid
