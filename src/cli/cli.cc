#include "cli/cli.h"

#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>
#include "util/log_context.h"

#include <cstdio>
#include <filesystem>

#include "cli/client.h"
#include "cli/daemon.h"
#include "cli/options.h"
#include "cli/validate.h"

namespace raibid::cli {
namespace {

constexpr int kUsageError = 2;

std::filesystem::path SelfPath() {
  std::error_code ec;
  auto p = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::filesystem::path("raibid-agent") : p;
}

// Loads settings for a command; exit code 2 with the message when they are unusable. The
// file's warnings are logged once the log is set up, in the format the settings chose.
std::optional<Settings> Load(const CommonFlags& flags, std::vector<std::string>* warnings) {
  auto settings = ResolveSettings(flags, warnings);
  if (!settings) {
    for (const auto& w : *warnings) std::fprintf(stderr, "warning: %s\n", w.c_str());
    std::fprintf(stderr, "raibid-agent: %s\n", settings.error().message.c_str());
    return std::nullopt;
  }
  return std::move(*settings);
}

}  // namespace

int Main(int argc, char** argv) {
  CLI::App app{
      "raibid-agent: the raibid-ci build agent. Consumes jobs from a Redis stream, checks\n"
      "out the repository, runs the pipeline's steps and reports status and logs back.",
      "raibid-agent"};
  app.set_version_flag("--version", std::string("raibid-agent ") + RAIBID_VERSION);
  app.require_subcommand(1);
  app.fallthrough();
  app.footer(
      "Configuration: --config FILE, else $RAIBID_CONFIG, else /etc/raibid/agent.yaml.\n"
      "Docs: README.md and docs/ in the source tree.");
  CommonFlags common;
  app.add_option("--config", common.config, "agent configuration file (YAML)");

  auto* run = app.add_subcommand("run", "run the agent daemon until SIGTERM");
  DaemonFlags daemon;
  run->add_option("--redis", common.redis, "Redis URL (beats redis.url in the config)");
  run->add_option("--concurrency", daemon.concurrency, "jobs run at once")
      ->check(CLI::PositiveNumber);
  run->add_option("--consumer-name", daemon.consumer_name,
                  "this agent's consumer name in the group");
  run->add_option("--work-dir", daemon.work_dir, "where job workspaces are made");
  run->add_option("--cache-dir", daemon.cache_dir, "where caches (git mirrors) live");
  run->add_flag("--take-over", daemon.take_over,
                "start even while another live agent holds the consumer name (it stops)");
  bool once = false;
  auto* once_flag = run->add_flag(
      "--once", once,
      "take at most one job, run it and exit 0 once it is acknowledged (KEDA ScaledJob)");
  run->add_option("--max-jobs", daemon.max_jobs,
                  "exit 0 after N jobs have ended, taking no more (agent.max_jobs)")
      ->check(CLI::PositiveNumber)
      ->type_name("N")
      ->excludes(once_flag);
  run->add_option("--exit-after-idle", daemon.exit_after_idle,
                  "exit 0 once no job has run or been taken for DURATION, e.g. 30s or 5m "
                  "(agent.exit_after_idle)")
      ->type_name("DURATION");

  auto* submit = app.add_subcommand("submit", "enqueue a job and print its job_id");
  std::string job_file;
  bool follow = false;
  SubmitFlags submit_flags;
  submit->add_option("--redis", common.redis, "Redis URL");
  submit->add_option("file", job_file, "job JSON file, or - for stdin")->required();
  submit->add_flag("--follow,-f", submit_flags.follow,
                   "stream the job's log; exit 0 if it succeeded, else 1");
  submit->add_flag("--allow-unknown", submit_flags.allow_unknown,
                   "send a job with keys the agent does not know (they are ignored)");
  submit->add_option("--queue", submit_flags.queue,
                     "the stream to enqueue on, e.g. ci-jobs:linux-arm64 (default: "
                     "agent.redis.stream_name)");

  std::string job_id;
  bool json = false;
  auto* status = app.add_subcommand("status", "show a job's state and steps");
  status->add_option("--redis", common.redis, "Redis URL");
  status->add_option("job_id", job_id, "the job")->required();
  status->add_flag("--json", json, "print the status as JSON");

  auto* logs = app.add_subcommand("logs", "print a job's log");
  logs->add_option("--redis", common.redis, "Redis URL");
  logs->add_option("job_id", job_id, "the job")->required();
  logs->add_flag("--follow,-f", follow, "keep printing until the job ends");

  auto* cancel = app.add_subcommand("cancel", "ask for a job to stop");
  cancel->add_option("--redis", common.redis, "Redis URL");
  cancel->add_option("job_id", job_id, "the job")->required();

  auto* validate = app.add_subcommand(
      "validate", "check a .raibid.yaml pipeline file as an agent would before running it");
  std::string pipeline_file = ".raibid.yaml";
  validate->add_option("file", pipeline_file,
                       "the pipeline file, or a directory holding .raibid.yaml (default "
                       ".raibid.yaml)");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : kUsageError;
  }
  if (*validate) return Validate(pipeline_file);
  std::vector<std::string> warnings;
  auto settings = Load(common, &warnings);
  if (!settings) return kUsageError;
  SetUpLogging(settings->log_format == "json"   ? LogFormat::kJson
               : settings->log_format == "text" ? LogFormat::kText
                                                : LogFormat::kAuto);
  for (const auto& w : warnings) spdlog::warn("{}", w);
  if (once) daemon.max_jobs = 1;
  if (*run) return RunDaemon(std::move(*settings), daemon, SelfPath());
  if (*submit) return Submit(*settings, job_file, submit_flags);
  if (*status) return ShowStatus(*settings, job_id, json);
  if (*logs) return ShowLogs(*settings, job_id, follow);
  if (*cancel) return Cancel(*settings, job_id);
  return kUsageError;
}

}  // namespace raibid::cli
