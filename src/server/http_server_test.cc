#include "server/http_server.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <thread>

#include "server/metrics.h"
#include "support/temp_dir.h"

namespace raibid {
namespace {

TEST(HttpServer, ProbesFollowTheirChecks) {
  std::atomic<bool> alive{true}, ready{false}, started{false};
  HttpServer server({.alive = [&] { return alive.load(); },
                     .not_ready = [&]() -> std::optional<std::string> {
                       if (ready) return std::nullopt;
                       return "work dir /w not writable: Permission denied";
                     },
                     .started = [&] { return started.load(); },
                     .metrics = [] { return std::string("raibid_slots 1\n"); }});
  ASSERT_TRUE(server.Start("127.0.0.1:0"));
  httplib::Client client("127.0.0.1", server.port());
  EXPECT_EQ(client.Get("/healthz")->status, 200);
  auto unready = client.Get("/readyz");
  EXPECT_EQ(unready->status, 503);
  EXPECT_EQ(unready->body, "not ready: work dir /w not writable: Permission denied\n");
  EXPECT_EQ(client.Get("/startupz")->status, 503);
  ready = true;
  started = true;
  alive = false;
  EXPECT_EQ(client.Get("/readyz")->status, 200);
  EXPECT_EQ(client.Get("/startupz")->status, 200);
  EXPECT_EQ(client.Get("/healthz")->status, 503);
  auto metrics = client.Get("/metrics");
  EXPECT_EQ(metrics->status, 200);
  EXPECT_EQ(metrics->body, "raibid_slots 1\n");
  EXPECT_NE(metrics->get_header_value("Content-Type").find("version=0.0.4"), std::string::npos);
  EXPECT_EQ(client.Get("/nope")->status, 404);
}

// A server stopped at once, before its thread got to listening, must still stop: an agent whose
// start fails right after the server started would otherwise hang in the destructor.
TEST(HttpServer, AServerStoppedRightAfterStartStops) {
  std::atomic<int> stopped{0};
  std::thread worker([&] {
    for (int i = 0; i < 200; ++i) {
      HttpServer server({});
      ASSERT_TRUE(server.Start("127.0.0.1:0"));
      ++stopped;  // counts the previous servers' destructors as done, and this start
    }
    stopped = 1000;
  });
  const bool done =
      testing::WaitFor([&] { return stopped.load() == 1000; }, std::chrono::seconds(30));
  if (!done)
    worker.detach();  // stuck in ~HttpServer: the failure below says so
  else
    worker.join();
  EXPECT_TRUE(done) << "stuck after " << stopped.load() << " servers";
}

TEST(HttpServer, BadListenAddressIsAConfigError) {
  HttpServer server({});
  auto s = server.Start("nonsense");
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().kind, ErrorKind::kConfig);
}

TEST(Metrics, RecordsWhatTheRunnerReports) {
  Metrics m({.busy_slots = [] { return 1; },
             .slots = [] { return 2; },
             .draining = [] { return false; },
             .connected = [] { return true; }});
  m.JobStarted(0.02);
  m.StepFinished(1.5);
  m.JobFinished(JobState::kSucceeded, 2.0);
  m.JobFinished(JobState::kFailed, 1.0);
  m.CacheRequest("source", true);
  m.LogBytes(100, 5);
  m.Retry("git_transport");
  const std::string text = m.Render();
  for (const char* want :
       {"raibid_jobs_total{result=\"succeeded\"} 1", "raibid_jobs_total{result=\"failed\"} 1",
        "raibid_jobs_total{result=\"cancelled\"} 0", "raibid_job_duration_seconds_count 2",
        "raibid_step_duration_seconds_count 1", "raibid_queue_wait_seconds_bucket{le=\"0.025\"} 1",
        "raibid_cache_requests_total{cache=\"source\",result=\"hit\"} 1",
        "raibid_log_bytes_total 100", "raibid_log_dropped_bytes_total{reason=\"limit\"} 5",
        "raibid_retries_total{reason=\"git_transport\"} 1", "raibid_busy_slots 1", "raibid_slots 2",
        "raibid_redis_connected 1", "process_resident_memory_bytes", "process_open_fds",
        "process_cpu_seconds_total"}) {
    EXPECT_NE(text.find(want), std::string::npos) << want << "\n" << text;
  }
}

}  // namespace
}  // namespace raibid
