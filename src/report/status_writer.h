// Writes a job's status: the `ci:job:<id>` hash and one `ci-status` event per state change, both
// in one MULTI/EXEC so readers never see one without the other. Uses the caller's connection
// (one thread at a time).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "redis/redis.h"
#include "report/job_state.h"
#include "report/keys.h"
#include "util/error.h"

namespace raibid {

struct StepRecord {
  std::string name;
  StepState state = StepState::kPending;
  std::optional<int> exit_code;
  std::string started_at, finished_at;
  std::optional<int64_t> duration_ms;
};

// The `steps` field: [{name, state, exit_code, started_at, finished_at, duration_ms}].
std::string StepsJson(const std::vector<StepRecord>& steps);

struct FinalStatus {
  JobState state = JobState::kFailed;
  std::optional<int> exit_code;
  std::optional<ErrorKind> error_kind;
  std::string error;  // already masked
};

// One delivery an agent handed back because of a fault of its own (docs/reliability.md, Local
// faults); the `handbacks` field holds them as a JSON array of {agent, attempt, at, reason}.
struct Handback {
  std::string agent;
  int attempt = 0;
  std::string at;
  std::string reason;  // already masked
};

class StatusWriter {
 public:
  StatusWriter(Redis& redis, ReportSettings settings, std::string job_id)
      : redis_(redis), settings_(std::move(settings)), job_id_(std::move(job_id)) {}

  struct Current {
    std::optional<JobState> state;  // nullopt when the hash has none
    bool cancel_requested = false;
    int attempts = 0;  // runs started so far
    std::vector<Handback> handbacks;
  };
  Result<Current> Read();
  // `queued`, as written by `submit`.
  Status Queued(const std::string& repository);
  // `running`: agent, attempt (incremented), started_at, the steps so far, log_stream.
  Status Running(const std::string& agent, const std::vector<StepRecord>& steps);
  // Sets extra fields of the hash (no ci-status event), e.g. `cache`.
  Status Annotate(const std::vector<std::pair<std::string, std::string>>& fields);
  Status StepChanged(const std::vector<StepRecord>& steps, size_t index,
                     const std::string& message);
  Status Finish(const FinalStatus& status, const std::vector<StepRecord>& steps);
  // Back to `queued` after this agent found it cannot run the job (its current attempt): the
  // attempt is appended to `handbacks`, with a ci-status event naming agent and reason.
  Status HandedBack(const std::string& agent, const std::string& reason);
  // The commands Finish would run, for a caller that needs them inside its own transaction.
  std::vector<RedisArgs> FinishCommands(const FinalStatus& status,
                                        const std::vector<StepRecord>& steps) const;

  int attempt() const { return attempt_; }

 private:
  using Fields = std::vector<std::pair<std::string, std::string>>;
  Status Write(const Fields& fields, JobState state, const std::string& step,
               const std::string& message);
  Status Transact(std::vector<RedisArgs> commands);  // in one MULTI/EXEC
  RedisArgs HsetCommand(const Fields& fields) const;
  std::vector<RedisArgs> WriteCommands(const Fields& fields, JobState state,
                                       const std::string& step, const std::string& message) const;

  Redis& redis_;
  ReportSettings settings_;
  std::string job_id_;
  int attempt_ = 0;
};

}  // namespace raibid
