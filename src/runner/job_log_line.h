// The agent's own log lines about a job (stderr, in the configured format; not the job's log in
// Redis): one when a run of the job starts and one when its delivery ends, with the job's facts
// as fields (docs/configuration.md, "The agent's log").
#pragma once

#include <string>

#include "job/job.h"
#include "runner/job_runner.h"
#include "util/clock.h"

namespace raibid {

// "job started" with repository, ref, commit (those the job gave) and attempt. Called on the
// thread running the job (its log context gives job_id).
void LogJobStarted(const Job& job, int attempt);

// "job succeeded" / "job failed: ..." / "job left pending: ..." with entry, job_id, repository,
// ref, commit, attempt, result, duration_ms, error_kind, error (those known).
void LogDeliveryEnded(const std::string& entry_id, const RunResult& result, Millis took);

}  // namespace raibid
