// Names of things in a registry, by the distribution reference grammar: repositories
// ("owner/name", lower-case path components), tags, and the template a job's artifact
// reference is made from ("{registry}/{repository}:build-{job_id}", lower-cased as Gitea requires).
#pragma once

#include <string>
#include <string_view>

#include "util/error.h"

namespace raibid {

struct ImageReference {
  std::string registry;    // "gitea.example.com" or "127.0.0.1:5000"
  std::string repository;  // "owner/name"
  std::string tag;         // "build-job-42"

  std::string ToString() const { return registry + "/" + repository + ":" + tag; }
};

// The values a reference template may use, as {name}.
struct ReferenceFields {
  std::string registry;    // {registry}: host[:port] of the registry
  std::string repository;  // {repository}: "owner/name"; {owner} and {name} are its parts
  std::string job_id;      // {job_id}
  std::string revision;    // {revision}: the full commit; {short_revision}: its first 8 characters
  std::string branch;      // {branch}
};

inline constexpr std::string_view kDefaultArtifactReference =
    "{registry}/{repository}:build-{job_id}";
inline constexpr std::string_view kDefaultImageTag = "{registry}/{repository}:{short_revision}";

// Expands `tmpl`, lower-cases the result, makes the tag part a valid tag (characters outside
// [a-z0-9_.-] become '-', at most 128 characters) and checks the rest: "host/path:tag".
// kConfig for an unknown {placeholder} or a malformed template; kInvalidJob when the job's
// repository does not make a valid repository name.
Result<ImageReference> ExpandReference(std::string_view tmpl, const ReferenceFields& fields);

// Parses "host[:port]/path[:tag]" (the tag defaults to "latest"); kInvalidJob when malformed.
Result<ImageReference> ParseReference(std::string_view reference);

// A distribution repository name: lower-case components of [a-z0-9] joined by '.', '_', '__'
// or dashes, separated by '/', at most 255 characters.
bool IsValidRepository(std::string_view name);
bool IsValidTag(std::string_view tag);

// "owner/name" from a job's repository field: "owner/name" stays, a URL
// ("https://gitea.example.com/owner/name.git") gives its path without ".git".
std::string RepositoryPath(std::string_view repository_or_url);

}  // namespace raibid
