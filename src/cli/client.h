// The commands that talk to Redis on a user's behalf: submit, status, logs, cancel. Each returns
// the process exit code (docs/reference.md, Commands) and prints errors to stderr.
#pragma once

#include <string>

#include "config/settings.h"

namespace raibid::cli {

struct SubmitFlags {
  bool follow = false;         // --follow: stream the log, exit with the job's result
  bool allow_unknown = false;  // --allow-unknown: send a job with keys the agent does not know
  std::string queue;           // --queue: the stream; empty: agent.redis.stream_name
};

// Refuses a job with unknown keys (a typo, most likely) unless flags.allow_unknown. With --queue,
// warns on stderr when no consumer group reads that stream yet (a misspelt queue, most likely).
// While following, says on stderr when the job stays queued (where it stands, whether an agent is
// alive); on Ctrl-C stops following, says the job goes on and how to cancel or follow it again,
// and returns 130. `ShowLogs` with `follow` does the same on Ctrl-C.
int Submit(const Settings& settings, const std::string& file, const SubmitFlags& flags);
int ShowStatus(const Settings& settings, const std::string& job_id, bool json);
int ShowLogs(const Settings& settings, const std::string& job_id, bool follow);
// A job no agent has started is `cancelled` at once; a running one is asked to stop.
int Cancel(const Settings& settings, const std::string& job_id);

}  // namespace raibid::cli
