#include "server/http_server.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <poll.h>
#include <sys/socket.h>

#include <atomic>
#include <thread>
#include <vector>

#include "server/metrics.h"
#include "support/server_process.h"
#include "support/temp_dir.h"
#include "util/unique_fd.h"

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

HealthChecks AllGood() {
  return {.alive = [] { return true; },
          .not_ready = []() -> std::optional<std::string> { return std::nullopt; },
          .started = [] { return true; },
          .metrics = [] { return std::string("raibid_slots 1\n"); }};
}

// A TCP connection to 127.0.0.1:`port` that sends `request` (if any) and reads until the server
// closes; the whole answer.
std::string Exchange(int port, const std::string& request) {
  UniqueFd fd = testing::ConnectLoopback(port);
  if (!fd.valid()) return "connect failed";
  send(fd.get(), request.data(), request.size(), MSG_NOSIGNAL);
  std::string answer;
  char buf[4096];
  for (ssize_t n; (n = recv(fd.get(), buf, sizeof buf, 0)) > 0;) answer.append(buf, n);
  return answer;
}

// A server started on `listen` says where it listens as `url` and answers /healthz there.
void ExpectServes(const std::string& listen, const std::string& host, const std::string& url) {
  HttpServer server(AllGood());
  ASSERT_TRUE(server.Start(listen));
  EXPECT_EQ(server.url(), url + std::to_string(server.port()) + "/");
  httplib::Client client(host, server.port());
  auto res = client.Get("/healthz");
  ASSERT_TRUE(res) << listen;
  EXPECT_EQ(res->body, "ok\n");
}

TEST(HttpServer, AnIPv6ListenAddressServesProbes) {
  ExpectServes("[::1]:0", "::1", "http://[::1]:");
}

TEST(HttpServer, AHostNameIsResolved) {
  ExpectServes("localhost:0", "localhost", "http://localhost:");
}

// Kubernetes gives a probe one second: connections that never send a request (a port scanner, a
// stuck client) must not leave a probe waiting behind them.
TEST(HttpServer, ClientsThatSendNothingDoNotHoldUpAProbe) {
  HttpServer server(AllGood());
  ASSERT_TRUE(server.Start("127.0.0.1:0"));
  std::vector<UniqueFd> idle;
  for (int i = 0; i < 8; ++i) {
    idle.push_back(testing::ConnectLoopback(server.port()));
    ASSERT_TRUE(idle.back().valid());
  }
  httplib::Client client("127.0.0.1", server.port());
  client.set_read_timeout(std::chrono::seconds(3));  // the server gives up on an idle one at 5 s
  auto res = client.Get("/healthz");
  ASSERT_TRUE(res) << "no answer while 8 connections sent nothing";
  EXPECT_EQ(res->status, 200);
}

// A client that keeps sending a byte now and then, never finishing its request head, is still
// closed once its time for the head is up: it cannot hold a connection slot for ever.
TEST(HttpServer, AClientTricklingItsRequestHeadIsClosedAtTheDeadline) {
  HttpServer server(AllGood());
  ASSERT_TRUE(server.Start("127.0.0.1:0"));
  UniqueFd fd = testing::ConnectLoopback(server.port());
  ASSERT_TRUE(fd.valid());
  const auto give_up = std::chrono::steady_clock::now() +
                       std::chrono::milliseconds(3 * HttpServer::kRequestTimeoutMs);
  bool closed = false;
  while (!closed && std::chrono::steady_clock::now() < give_up) {
    closed = send(fd.get(), "G", 1, MSG_NOSIGNAL) != 1;
    pollfd p{fd.get(), POLLIN, 0};
    char c;
    if (!closed && poll(&p, 1, 200) == 1) closed = recv(fd.get(), &c, 1, 0) <= 0;
  }
  EXPECT_TRUE(closed) << "still open after " << 3 * HttpServer::kRequestTimeoutMs << " ms";
}

TEST(HttpServer, AnswersOnlyGetAndHead) {
  HttpServer server(AllGood());
  ASSERT_TRUE(server.Start("127.0.0.1:0"));
  const std::string head = Exchange(server.port(), "HEAD /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_TRUE(head.starts_with("HTTP/1.1 200 OK\r\n")) << head;
  EXPECT_NE(head.find("Content-Length: 15\r\n"), std::string::npos) << head;
  EXPECT_TRUE(head.ends_with("\r\n\r\n")) << "HEAD carries no body: " << head;
  const std::string post =
      Exchange(server.port(), "POST /metrics HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc");
  EXPECT_TRUE(post.starts_with("HTTP/1.1 405 ")) << post;
  EXPECT_NE(post.find("Allow: GET, HEAD\r\n"), std::string::npos) << post;
  EXPECT_TRUE(Exchange(server.port(), "nonsense\r\n\r\n").starts_with("HTTP/1.1 400 "));
}

TEST(HttpServer, AnOversizedRequestHeadIsRefused) {
  HttpServer server(AllGood());
  ASSERT_TRUE(server.Start("127.0.0.1:0"));
  const std::string huge =
      "GET /metrics HTTP/1.1\r\nX-Filler: " + std::string(64 * 1024, 'a') + "\r\n\r\n";
  EXPECT_TRUE(Exchange(server.port(), huge).starts_with("HTTP/1.1 431 "));
  // and the server still answers the next one
  EXPECT_TRUE(Exchange(server.port(), "GET /healthz HTTP/1.0\r\n\r\n").ends_with("\r\n\r\nok\n"));
}

TEST(HttpServer, AnAddressInUseIsAConfigErrorNamingIt) {
  HttpServer first(AllGood());
  ASSERT_TRUE(first.Start("127.0.0.1:0"));
  HttpServer second(AllGood());
  const std::string taken = "127.0.0.1:" + std::to_string(first.port());
  auto s = second.Start(taken);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().kind, ErrorKind::kConfig);
  EXPECT_NE(s.error().message.find(taken), std::string::npos) << s.error().message;
  EXPECT_NE(s.error().message.find("in use"), std::string::npos) << s.error().message;
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
