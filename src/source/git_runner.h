// Runs the git command line for the source cache, the same careful way every time: never through
// a shell, with a timeout, with the host's git configuration shut out (no system or global config,
// no credential helpers, no ~/.netrc, no GIT_TRACE* that would print headers), never prompting
// on a terminal, and in the C locale so its messages can be classified.
//
// Credentials: git gets the token through GIT_ASKPASS, a small script in a private (0700) home
// directory that prints the username for "Username" prompts and the token file's content for
// password prompts. The token therefore never appears in argv, in a URL or in the environment;
// only the token file's path does. Whatever git prints is returned with the token replaced by
// "[MASKED]" anyway.
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "process/run_command.h"
#include "util/error.h"
#include "util/mutex.h"

namespace raibid {

struct GitCredentials {
  std::string username = "raibid";
  std::filesystem::path token_file;  // read on every use, so a rotated token is picked up
  // Only URLs starting with this prefix (e.g. the configured git.base_url) are offered the
  // token; empty offers it to every http(s) URL. Keeps a job naming some other server from
  // collecting the agent's token.
  std::string url_prefix;
};

class GitRunner {
 public:
  // `home`: a private directory made on Prepare() (the HOME git sees, and the askpass script's
  // place). `program`: the git executable, looked up in PATH.
  GitRunner(std::filesystem::path home, std::optional<GitCredentials> credentials,
            std::chrono::milliseconds timeout, std::string program = "git");

  // Makes the private home and writes the askpass script. Idempotent and thread-safe; Run calls
  // it, so calling it first only moves the cost.
  Status Prepare();

  // Runs `git <args>` in `cwd`. When `remote_url` is given and the credentials apply to it, git
  // may answer an HTTP authentication challenge with them. Fails only if git could not be started;
  // out and err come back with the token masked. Thread-safe.
  Result<CommandResult> Run(const std::vector<std::string>& args,
                            const std::filesystem::path& cwd = {},
                            std::string_view remote_url = {});

  // `text` with every occurrence of the current token replaced by "[MASKED]".
  std::string Mask(std::string text) const;

  // Whether git talking to `url` gets the credentials.
  bool OffersCredentialsTo(std::string_view url) const;

  std::chrono::milliseconds timeout() const { return timeout_; }

 private:
  CommandSpec BaseSpec(const std::filesystem::path& cwd) const;

  std::filesystem::path home_;
  std::filesystem::path askpass_;
  std::optional<GitCredentials> credentials_;
  std::chrono::milliseconds timeout_;
  std::string program_;
  Mutex prepare_mutex_;
  bool prepared_ GUARDED_BY(prepare_mutex_) = false;
};

// Replaces every occurrence of `secret` (when non-empty) in `text` by "[MASKED]".
std::string MaskSecret(std::string text, std::string_view secret);

}  // namespace raibid
