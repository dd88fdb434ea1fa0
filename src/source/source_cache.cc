#include "source/source_cache.h"

#include <fstream>

#include "source/mirror.h"
#include "source/mirror_lock.h"
#include "source/ref_name.h"
#include "source/repository_url.h"
#include "source/workspace.h"
#include "util/text.h"

namespace raibid {
namespace {

constexpr int kAttempts = 2;  // the second one runs on a rebuilt mirror

// What the job asked for, in the forms git and the log need.
struct Target {
  std::string value;        // the commit (lower case), branch or tag as given
  std::string rev;          // what git resolves: "refs/heads/main", "a1b2c3d4"
  std::string description;  // "branch main"
  bool full_sha = false;
};

// Progress lines for the job's log, token masked.
struct Progress {
  LogSink& sink;
  const GitRunner& git;
  void operator()(const std::string& line) const {
    sink.Write("checkout", LogFd::kSys, git.Mask(line + "\n"));
  }
};

std::string Short(std::string_view sha) { return std::string(sha.substr(0, 12)); }

Status ValidateFields(const SourceRequest& r) {
  if (auto ok = ValidateRefs(r.commit, r.branch, r.tag); !ok) return ok;
  return ValidateRepositoryUrl(r.url);
}

Target MakeTarget(const SourceRequest& r) {
  if (!r.commit.empty()) {
    std::string sha = Lower(r.commit);
    return {sha, sha, "commit " + sha, sha.size() == 40};
  }
  if (!r.branch.empty()) return {r.branch, "refs/heads/" + r.branch, "branch " + r.branch};
  return {r.tag, "refs/tags/" + r.tag, "tag " + r.tag};
}

GitResult<std::string> FetchAndResolve(Mirror& mirror, const Target& target, const Progress& log) {
  log("fetching " + mirror.url());
  if (auto fetched = mirror.Fetch(); !fetched) return std::unexpected(fetched.error());
  auto sha = mirror.ResolveCommit(target.rev, target.description);
  if (sha || sha.error().failure != GitFailure::kNotFound || !target.full_sha) return sha;
  // Not on any branch or tag (a pull request head, say): ask the server for it by SHA.
  log("commit " + Short(target.value) + " is on no branch or tag; fetching it by SHA");
  if (auto fetched = mirror.FetchCommit(target.value); !fetched) {
    if (fetched.error().failure == GitFailure::kNotFound) return sha;
    return std::unexpected(fetched.error());
  }
  return mirror.ResolveCommit(target.rev, target.description);
}

// Creates the mirror if needed, fetches unless the commit is known, and names the commit.
GitResult<std::string> UpdateAndResolve(Mirror& mirror, const Target& target, const Progress& log) {
  if (!mirror.Exists()) {
    log("creating mirror of " + mirror.url());
    if (auto made = mirror.Create(); !made) {
      (void)mirror.Remove();  // half made would look healthy and lack its settings
      return std::unexpected(made.error());
    }
  } else if (target.full_sha) {
    // Commits are immutable: a full SHA the mirror already holds needs no round trip.
    auto has = mirror.HasCommit(target.value);
    if (!has) return std::unexpected(has.error());
    if (*has) {
      log("commit " + Short(target.value) + " is in the mirror; not fetching");
      return target.value;
    }
  }
  return FetchAndResolve(mirror, target, log);
}

// One try: update the mirror under the exclusive lock, then make the workspace under the shared
// one (other jobs may check out of the same mirror meanwhile; nobody may delete it).
GitResult<std::string> Attempt(GitRunner& git, Mirror& mirror, MirrorLock& lock,
                               const Target& target, const SourceRequest& request,
                               const Progress& log) {
  if (auto ok = lock.LockExclusive(); !ok) return std::unexpected(Unclassified(ok.error()));
  auto sha = UpdateAndResolve(mirror, target, log);
  if (!sha) {
    lock.Unlock();
    return sha;
  }
  if (auto ok = lock.LockShared(); !ok) return std::unexpected(Unclassified(ok.error()));
  auto made = CreateWorkspace(git, {request.workspace, mirror.dir(), request.url, *sha});
  lock.Unlock();
  if (!made) return std::unexpected(made.error());
  return sha;
}

}  // namespace

SourceCache::SourceCache(std::filesystem::path root, std::optional<GitCredentials> credentials,
                         std::chrono::milliseconds git_timeout, std::string git_program)
    : root_(std::move(root)),
      credentials_(credentials),
      git_(root_ / ".git-home", std::move(credentials), git_timeout, std::move(git_program)) {}

Status SourceCache::CheckCredentials(const std::string& url) const {
  if (!credentials_ || !git_.OffersCredentialsTo(url)) return {};
  std::ifstream in(credentials_->token_file);
  std::string token;
  if (!in || !std::getline(in, token) || token.empty()) {
    return Fail(ErrorKind::kInfrastructure,
                "cannot read a token from git.token_file " + credentials_->token_file.string());
  }
  return {};
}

Result<CheckoutResult> SourceCache::Checkout(const SourceRequest& request, LogSink& sink) {
  if (auto ok = ValidateFields(request); !ok) return std::unexpected(ok.error());
  std::error_code ec;
  if (std::filesystem::exists(request.workspace, ec)) {
    return Fail(ErrorKind::kInfrastructure,
                "workspace " + request.workspace.string() + " already exists");
  }
  if (auto ok = CheckCredentials(request.url); !ok) return std::unexpected(ok.error());
  std::filesystem::create_directories(root_, ec);
  const std::string name = MirrorDirName(request.url);
  auto lock = MirrorLock::Open(root_ / (name.substr(0, name.size() - 4) + ".lock"));
  if (!lock) return std::unexpected(lock.error());
  Mirror mirror(git_, root_ / name, request.url);
  const Target target = MakeTarget(request);
  const Progress log{sink, git_};
  const bool warm = mirror.Exists();  // for the cache metric; a rebuilt mirror counts as a miss

  for (int attempt = 1;; ++attempt) {
    auto sha = Attempt(git_, mirror, *lock, target, request, log);
    if (sha) {
      log("checked out " + *sha + " (" + target.description + ")");
      return CheckoutResult{*sha, target.description, warm && attempt == 1};
    }
    if (!sha.error().corrupt() || attempt == kAttempts) {
      Error error = sha.error().error;
      error.message = git_.Mask(error.message);
      return std::unexpected(error);
    }
    log("mirror " + mirror.dir().string() + " is damaged (" + sha.error().error.message +
        "); deleting it and fetching again");
    if (auto ok = lock->LockExclusive(); !ok) return std::unexpected(ok.error());
    auto removed = mirror.Remove();
    lock->Unlock();
    if (!removed) return std::unexpected(removed.error());
  }
}

Result<int> SourceCache::Maintain() {
  std::error_code ec;
  int done = 0;
  for (const auto& entry : std::filesystem::directory_iterator(root_, ec)) {
    const std::string name = entry.path().filename().string();
    if (!entry.is_directory(ec) || !name.ends_with(".git")) continue;
    auto lock = MirrorLock::Open(root_ / (name.substr(0, name.size() - 4) + ".lock"));
    if (!lock) return std::unexpected(lock.error());
    if (auto ok = lock->LockExclusive(); !ok) return std::unexpected(ok.error());
    auto gc = git_.Run({"--git-dir=" + entry.path().string(), "gc", "--quiet", "--prune=never"});
    lock->Unlock();
    if (gc && gc->ok()) ++done;
  }
  return done;
}

}  // namespace raibid
