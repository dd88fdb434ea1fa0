#include "source/git_runner.h"

#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

namespace raibid {
namespace {

constexpr std::string_view kAskpassScript =
    "#!/bin/sh\n"
    "# Written by raibid-agent. Answers git's credential prompts; the token stays in its file.\n"
    "case \"$1\" in\n"
    "  [Uu]sername*) printf '%s\\n' \"$RAIBID_GIT_USERNAME\" ;;\n"
    "  *) exec cat -- \"$RAIBID_GIT_TOKEN_FILE\" ;;\n"
    "esac\n";

// Variables of the agent's own environment that would redirect git to another repository, add
// configuration, answer prompts, or trace the HTTP traffic (Authorization headers included).
const std::vector<std::string> kUnsetVariables = {"GIT_DIR",
                                                  "GIT_WORK_TREE",
                                                  "GIT_INDEX_FILE",
                                                  "GIT_OBJECT_DIRECTORY",
                                                  "GIT_ALTERNATE_OBJECT_DIRECTORIES",
                                                  "GIT_COMMON_DIR",
                                                  "GIT_NAMESPACE",
                                                  "GIT_CEILING_DIRECTORIES",
                                                  "GIT_CONFIG",
                                                  "GIT_CONFIG_PARAMETERS",
                                                  "GIT_CONFIG_COUNT",
                                                  "GIT_ASKPASS",
                                                  "SSH_ASKPASS",
                                                  "GIT_TRACE",
                                                  "GIT_TRACE_CURL",
                                                  "GIT_TRACE_PACKET",
                                                  "GIT_TRACE_SETUP",
                                                  "GIT_TRACE_PERFORMANCE",
                                                  "GIT_TRACE2",
                                                  "GIT_TRACE2_EVENT",
                                                  "GIT_TRACE2_PERF",
                                                  "GIT_CURL_VERBOSE",
                                                  "GIT_PROTOCOL",
                                                  "GIT_QUARANTINE_PATH",
                                                  "XDG_CONFIG_HOME",
                                                  "LANGUAGE"};

std::string ReadToken(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string token = ss.str();
  size_t end = token.find_first_of("\r\n");
  if (end != std::string::npos) token.resize(end);
  while (!token.empty() && (token.back() == ' ' || token.back() == '\t')) token.pop_back();
  return token;
}

Status WriteExecutable(const std::filesystem::path& path, std::string_view content) {
  std::filesystem::path tmp = path;
  tmp += ".tmp." + std::to_string(getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << content;
    if (!out.flush()) {
      return Fail(ErrorKind::kInfrastructure, "cannot write " + tmp.string());
    }
  }
  if (chmod(tmp.c_str(), 0700) != 0 || rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    unlink(tmp.c_str());
    return std::unexpected(ErrnoError(err, "cannot install " + path.string()));
  }
  return {};
}

}  // namespace

std::string MaskSecret(std::string text, std::string_view secret) {
  if (secret.empty()) return text;
  constexpr std::string_view kMask = "[MASKED]";
  for (size_t at = text.find(secret); at != std::string::npos; at = text.find(secret, at)) {
    text.replace(at, secret.size(), kMask);
    at += kMask.size();
  }
  return text;
}

GitRunner::GitRunner(std::filesystem::path home, std::optional<GitCredentials> credentials,
                     std::chrono::milliseconds timeout, std::string program)
    : home_(std::move(home)),
      askpass_(home_ / "askpass.sh"),
      credentials_(std::move(credentials)),
      timeout_(timeout),
      program_(std::move(program)) {}

Status GitRunner::Prepare() {
  MutexLock lock(&prepare_mutex_);
  if (prepared_) return {};
  std::error_code ec;
  std::filesystem::create_directories(home_, ec);
  if (ec || chmod(home_.c_str(), 0700) != 0) {
    return Fail(ErrorKind::kInfrastructure, "cannot create private git home " + home_.string());
  }
  if (auto ok = WriteExecutable(askpass_, kAskpassScript); !ok) return ok;
  prepared_ = true;
  return {};
}

bool GitRunner::OffersCredentialsTo(std::string_view url) const {
  if (!credentials_) return false;
  if (!url.starts_with("https://") && !url.starts_with("http://")) return false;
  return url.starts_with(credentials_->url_prefix);
}

std::string GitRunner::Mask(std::string text) const {
  if (!credentials_) return text;
  return MaskSecret(std::move(text), ReadToken(credentials_->token_file));
}

CommandSpec GitRunner::BaseSpec(const std::filesystem::path& cwd) const {
  CommandSpec spec;
  spec.cwd = cwd;
  spec.timeout = timeout_;
  spec.unset_env = kUnsetVariables;
  spec.env = {
      {"HOME", home_.string()},
      {"GIT_CONFIG_NOSYSTEM", "1"},
      {"GIT_CONFIG_GLOBAL", "/dev/null"},
      {"GIT_TERMINAL_PROMPT", "0"},
      {"GIT_ALLOW_PROTOCOL", "file:http:https:ssh"},
      {"GIT_SSH_COMMAND", "ssh -o BatchMode=yes"},
      {"LC_ALL", "C"},
  };
  return spec;
}

Result<CommandResult> GitRunner::Run(const std::vector<std::string>& args,
                                     const std::filesystem::path& cwd,
                                     std::string_view remote_url) {
  if (auto ok = Prepare(); !ok) return std::unexpected(ok.error());
  CommandSpec spec = BaseSpec(cwd);
  spec.argv.reserve(args.size() + 1);
  spec.argv.push_back(program_);
  spec.argv.insert(spec.argv.end(), args.begin(), args.end());
  if (credentials_ && !remote_url.empty() && OffersCredentialsTo(remote_url)) {
    spec.env["GIT_ASKPASS"] = askpass_.string();
    spec.env["RAIBID_GIT_USERNAME"] = credentials_->username;
    std::error_code ec;  // absolute() fails only without a working directory; keep the path then
    auto token_file = std::filesystem::absolute(credentials_->token_file, ec);
    spec.env["RAIBID_GIT_TOKEN_FILE"] = (ec ? credentials_->token_file : token_file).string();
  }
  auto result = RunCommand(spec);
  if (!result) {
    return std::unexpected(Error::Make(result.error().kind, Mask(result.error().message)));
  }
  result->out = Mask(std::move(result->out));
  result->err = Mask(std::move(result->err));
  return result;
}

}  // namespace raibid
