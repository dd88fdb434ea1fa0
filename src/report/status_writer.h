// Writes a job's status: the `ci:job:<id>` hash and one `ci-status` event per state change, both
// in one MULTI/EXEC so readers never see one without the other. Uses the caller's connection
// (one thread at a time). A write Redis refuses with a transient fault (OOM under `noeviction`,
// READONLY, LOADING, MISCONF) is resent with ReportSettings::refused_retry's backoff until it
// lands, one warning per attempt, the fault posted on ReportSettings::faults meanwhile; so a
// call may block for as long as Redis refuses writes.
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
  int attempts = 0;                   // runs of the step, retries included (written when above 1)
  bool allowed_failure = false;       // failed with an exit code its allow_failure admits
  std::string reason;                 // why a skipped step was skipped
  std::optional<double> cpu_seconds;  // what its processes used, where known
  std::optional<uint64_t> peak_memory_bytes;  // the largest process's resident set
};

// The `steps` field: [{name, state, exit_code, started_at, finished_at, duration_ms}], plus
// `attempts` (when retried), `allowed_failure: true` and `reason` (skipped) when they apply.
std::string StepsJson(const std::vector<StepRecord>& steps);

struct FinalStatus {
  JobState state = JobState::kFailed;
  std::optional<int> exit_code;
  std::optional<ErrorKind> error_kind;
  std::string error;  // already masked
  // Bytes of the job's output Redis refused to store (the `log_lost_bytes` field; 0: none).
  uint64_t log_lost_bytes = 0;
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
  // `running`: agent, attempt (incremented), started_at, the steps so far, log_stream. Returns
  // false, writing nothing, when the hash already holds a final state (the job was cancelled
  // before any agent started it, or another delivery finished it). The check and the switch to
  // `running` are one Lua script, so a concurrent Cancel either comes first (this returns false)
  // or finds the job `running` (and only asks for it to stop): never both.
  Result<bool> Running(const std::string& agent, const std::vector<StepRecord>& steps);

  // What Cancel did.
  enum class CancelOutcome {
    kNotFound,      // no job hash (or no state in it)
    kAlreadyFinal,  // nothing to do
    kCancelled,     // it was `queued`: now `cancelled`, final; the agent that reads it acks it
    kRequested,     // it is `running`: cancel_requested set and ci:cancel published
  };
  struct CancelResult {
    CancelOutcome outcome = CancelOutcome::kNotFound;
    std::optional<JobState> state;  // the state found (kAlreadyFinal, kRequested)
  };
  // `raibid-agent cancel` (docs/reference.md, Redis keys): a job no agent has started is written
  // `cancelled` at once (error_kind cancelled, an event in ci-status) in a WATCH/MULTI
  // transaction that fails, and is read again, when an agent's Running touched the hash first.
  Result<CancelResult> Cancel();
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
  // Sends `commands`, waiting out connection loss and refusals (see the top of this file).
  Result<std::vector<RedisValue>> Send(const std::vector<RedisArgs>& commands);
  RedisArgs HsetCommand(const Fields& fields) const;
  std::vector<RedisArgs> WriteCommands(const Fields& fields, JobState state,
                                       const std::string& step, const std::string& message) const;

  Redis& redis_;
  ReportSettings settings_;
  std::string job_id_;
  int attempt_ = 0;
};

}  // namespace raibid
