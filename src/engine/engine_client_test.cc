// The engine client against a real Podman service (tests/support/podman_service.h).
#include "engine/engine_client.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cstdio>

#include <nlohmann/json.hpp>

#include "support/podman_service.h"
#include "support/temp_dir.h"
#include "util/unique_fd.h"

namespace raibid {
namespace {

using testing::PodmanService;

class EngineClientTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { podman_ = testing::SharedPodman("localhost/raibid-bb:test"); }
  void SetUp() override {
    if (!podman_) GTEST_SKIP() << "podman, runc or busybox-static is not installed";
    auto ep = ParseEngineHost(podman_->host());
    ASSERT_TRUE(ep) << ep.error().message;
    client_ = std::make_unique<EngineClient>(*ep);
  }
  void TearDown() override {
    if (client_) {
      for (const auto& id : created_) (void)client_->RemoveContainer(id);
    }
  }
  std::string Running(ContainerSpec spec) {
    spec.image = "localhost/raibid-bb:test";
    spec.entrypoint = {"/bin/sh", "-c",
                       "trap 'exit 0' TERM; while :; do sleep 3600 & wait $!; done"};
    auto id = client_->CreateContainer(spec);
    EXPECT_TRUE(id) << id.error().message;
    if (!id) return "";
    created_.push_back(*id);
    auto s = client_->StartContainer(*id);
    EXPECT_TRUE(s) << s.error().message;
    return *id;
  }
  struct Ran {
    std::string out, err;
    int exit_code = -1;
  };
  Ran Exec(const std::string& container, const std::string& script, ExecSpec spec = {}) {
    spec.cmd = {"/bin/sh", "-c", script};
    Ran ran;
    auto exec = client_->CreateExec(container, spec);
    EXPECT_TRUE(exec) << exec.error().message;
    if (!exec) return ran;
    auto s = client_->StartExec(*exec, [&](MuxStream st, std::string_view b) {
      (st == MuxStream::kStderr ? ran.err : ran.out).append(b);
    });
    EXPECT_TRUE(s) << s.error().message;
    auto state = client_->InspectExec(*exec);
    EXPECT_TRUE(state) << state.error().message;
    if (state && state->exit_code) ran.exit_code = *state->exit_code;
    return ran;
  }

  static PodmanService* podman_;
  std::unique_ptr<EngineClient> client_;
  std::vector<std::string> created_;
};
PodmanService* EngineClientTest::podman_ = nullptr;

TEST(EngineHost, ParsesTheThreeSpellings) {
  auto unix_ep = ParseEngineHost("unix:///var/run/docker.sock");
  ASSERT_TRUE(unix_ep);
  EXPECT_EQ(unix_ep->unix_socket, "/var/run/docker.sock");
  EXPECT_EQ(unix_ep->base_url, "http://localhost");
  auto tcp = ParseEngineHost("tcp://127.0.0.1:2375");
  ASSERT_TRUE(tcp);
  EXPECT_EQ(tcp->base_url, "http://127.0.0.1:2375");
  EXPECT_TRUE(tcp->unix_socket.empty());
  EXPECT_FALSE(ParseEngineHost("unix://relative.sock"));
  auto bad = ParseEngineHost("ssh://host");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().kind, ErrorKind::kConfig);
}

TEST(EngineHost, ImageRegistryHostFollowsDockerRules) {
  EXPECT_EQ(ImageRegistryHost("rust:1.75"), "docker.io");
  EXPECT_EQ(ImageRegistryHost("raibid/rust-builder:1.75.0"), "docker.io");
  EXPECT_EQ(ImageRegistryHost("gitea.local:3000/raibid/img:1"), "gitea.local:3000");
  EXPECT_EQ(ImageRegistryHost("localhost/bb:1"), "localhost");
  EXPECT_EQ(ImageRegistryHost("ghcr.io/a/b@sha256:00"), "ghcr.io");
}

TEST(EngineHost, RegistryAuthHeaderIsBase64UrlJson) {
  const std::string h = RegistryAuthHeader("ci", "p?>>?", "127.0.0.1:5000");
  EXPECT_EQ(h.find_first_of("+/"), std::string::npos);
  std::string std_alphabet = h;
  for (char& c : std_alphabet) c = c == '-' ? '+' : c == '_' ? '/' : c;
  EXPECT_NE(std_alphabet, h);  // the password makes '+' or '/' appear in plain base64
}

TEST(EngineDown, IsARetryableInfrastructureErrorNamingTheEngine) {
  EngineClient client(*ParseEngineHost("unix:///nonexistent/raibid/docker.sock"));
  auto v = client.Version();
  ASSERT_FALSE(v);
  EXPECT_EQ(v.error().kind, ErrorKind::kInfrastructure);
  EXPECT_TRUE(v.error().retryable);
  EXPECT_NE(v.error().message.find("unix:///nonexistent/raibid/docker.sock"), std::string::npos)
      << v.error().message;
  EXPECT_NE(v.error().message.find("over unix socket /nonexistent/raibid/docker.sock: cannot "
                                   "connect: No such file or directory"),
            std::string::npos)
      << v.error().message;
  auto ping = client.Ping();
  ASSERT_FALSE(ping);
  EXPECT_TRUE(ping.error().retryable);
}

// A socket file with nothing listening on it (an engine that died): bound, never listened on.
TEST(EngineDown, ADeadSocketIsNamedNotLocalhostPort80) {
  testing::TempDir dir;
  const std::string path = (dir.path() / "engine.sock").string();
  UniqueFd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_un addr{.sun_family = AF_UNIX};
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
  ASSERT_EQ(bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  EngineClient client(*ParseEngineHost("unix://" + path));
  auto ping = client.Ping();
  ASSERT_FALSE(ping);
  EXPECT_EQ(ping.error().message.find("port 80"), std::string::npos) << ping.error().message;
  EXPECT_NE(ping.error().message.find("/_ping over unix socket " + path +
                                      ": cannot connect: Connection refused"),
            std::string::npos)
      << ping.error().message;
}

TEST_F(EngineClientTest, NegotiatesTheApiVersion) {
  auto v = client_->Version();
  ASSERT_TRUE(v) << v.error().message;
  EXPECT_FALSE(v->api_version.empty());
  EXPECT_EQ(v->used_api, "1.41");  // Podman 4 speaks 1.41, the client's newest
  EXPECT_TRUE(client_->Ping());
}

TEST_F(EngineClientTest, InspectsImagesAndKnowsAMissingOne) {
  auto img = client_->InspectImage("localhost/raibid-bb:test");
  ASSERT_TRUE(img) << img.error().message;
  ASSERT_TRUE(img->has_value());
  EXPECT_FALSE((*img)->id.empty());
  auto missing = client_->InspectImage("localhost/raibid-no-such-image:1");
  ASSERT_TRUE(missing) << missing.error().message;
  EXPECT_FALSE(missing->has_value());
}

TEST_F(EngineClientTest, AnAnswerOverTheResponseLimitIsAnErrorNamingTheLimit) {
  // An image's inspect answer is a few KiB; agent.limits.http_response_bytes set to 256 bytes.
  EngineClient small(client_->endpoint(), 256);
  auto info = small.InspectImage("localhost/raibid-bb:test");
  ASSERT_FALSE(info);
  EXPECT_NE(info.error().message.find("container engine at " + podman_->host()), std::string::npos)
      << info.error().message;
  EXPECT_TRUE(info.error().message.ends_with(
      "the answer is over agent.limits.http_response_bytes (256 bytes)"))
      << info.error().message;
  EXPECT_TRUE(client_->InspectImage("localhost/raibid-bb:test").value().has_value());
}

TEST_F(EngineClientTest, ExecStreamsStdoutAndStderrApartWithTheExitCode) {
  const auto id = Running({.labels = {{"raibid.test", "exec"}}});
  ASSERT_FALSE(id.empty());
  auto ran = Exec(id, "echo out; echo err >&2; cat /etc/from-image; exit 7");
  EXPECT_EQ(ran.out, "out\nimage\n");
  EXPECT_EQ(ran.err, "err\n");
  EXPECT_EQ(ran.exit_code, 7);
  auto big = Exec(id, "head -c 3000000 /dev/zero | tr '\\0' a");
  EXPECT_EQ(big.out.size(), 3000000u);
  EXPECT_EQ(big.exit_code, 0);
  auto env = Exec(id, "echo \"$GREETING\" && pwd && id -u",
                  {.env = {"GREETING=hi there"}, .working_dir = "/tmp", .user = "1000"});
  EXPECT_EQ(env.out, "hi there\n/tmp\n1000\n");
}

TEST_F(EngineClientTest, KeepGoingEndsTheStreamAndKillEndsTheProcess) {
  const auto id = Running({});
  ASSERT_FALSE(id.empty());
  auto exec = client_->CreateExec(id, {.cmd = {"/bin/sh", "-c", "echo started; sleep 60"}});
  ASSERT_TRUE(exec);
  std::string out;
  const auto t0 = std::chrono::steady_clock::now();
  auto s = client_->StartExec(
      *exec, [&](MuxStream, std::string_view b) { out.append(b); },
      [&] {
        return out.empty() ||
               std::chrono::steady_clock::now() - t0 < std::chrono::milliseconds(200);
      });
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().kind, ErrorKind::kCancelled);
  EXPECT_EQ(out, "started\n");
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(10));
  ASSERT_TRUE(client_->KillContainer(id));
  auto state = client_->InspectContainer(id);
  ASSERT_TRUE(state && state->has_value());
  EXPECT_FALSE((*state)->running);
  auto again = client_->KillContainer(id);
  EXPECT_TRUE(again) << "killing a stopped container is not an error: " << again.error().message;
}

TEST_F(EngineClientTest, ListsByLabelAndRemovesIdempotently) {
  const auto a = Running({.labels = {{"raibid.agent", "lister-a"}}});
  const auto b = Running({.labels = {{"raibid.agent", "lister-b"}}});
  auto listed = client_->ListContainers("raibid.agent", "lister-a");
  ASSERT_TRUE(listed) << listed.error().message;
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].id, a);
  EXPECT_EQ((*listed)[0].labels.at("raibid.agent"), "lister-a");
  ASSERT_TRUE(client_->RemoveContainer(a));
  EXPECT_TRUE(client_->RemoveContainer(a)) << "removing a removed container is not an error";
  auto gone = client_->InspectContainer(a);
  ASSERT_TRUE(gone);
  EXPECT_FALSE(gone->has_value());
  EXPECT_TRUE(client_->ListContainers("raibid.agent", "lister-a")->empty());
  EXPECT_EQ(client_->ListContainers("raibid.agent", "lister-b")->size(), 1u);
  (void)b;
}

TEST_F(EngineClientTest, LimitsAndIsolationReachTheContainer) {
  const auto id = Running({.binds = {},
                           .tmpfs = {{"/tmp", "rw,size=16m"}},
                           .network_mode = "none",
                           .memory_bytes = 64 << 20,
                           .pids_limit = 100,
                           .cap_drop = {"ALL"},
                           .cap_add = {"CHOWN"},
                           .security_opt = {"no-new-privileges"}});
  ASSERT_FALSE(id.empty());
  auto ran = Exec(
      id,
      "cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat "
      "/sys/fs/cgroup/memory.max; "
      "grep -c . /proc/net/dev; grep NoNewPrivs /proc/self/status; grep CapEff /proc/self/status; "
      "df -k /tmp | tail -1 | awk '{print $2}'");
  EXPECT_EQ(ran.exit_code, 0) << ran.err;
  EXPECT_NE(ran.out.find(std::to_string(64 << 20)), std::string::npos) << ran.out;
  EXPECT_NE(ran.out.find("\n3\n"), std::string::npos) << "only lo: " << ran.out;
  EXPECT_NE(ran.out.find("NoNewPrivs:\t1"), std::string::npos) << ran.out;
  EXPECT_NE(ran.out.find("CapEff:\t0000000000000001"), std::string::npos) << ran.out;
  EXPECT_NE(ran.out.find("16384"), std::string::npos) << ran.out;
}

TEST_F(EngineClientTest, PrunesImagesATagMovedAwayFrom) {
  podman_->MakeBusyboxImage("localhost/raibid-prune:1", "/etc/v1");
  podman_->MakeBusyboxImage("localhost/raibid-prune:1", "/etc/v2");  // v1 is now untagged
  auto dangling = [&] {
    return podman_->Podman({"images", "--quiet", "--filter", "dangling=true"});
  };
  ASSERT_FALSE(dangling().empty());
  auto pruned = client_->PruneDanglingImages();
  ASSERT_TRUE(pruned) << pruned.error().message;
  EXPECT_GE(pruned->images, 1);
  EXPECT_EQ(dangling(), "");
  auto kept = client_->InspectImage("localhost/raibid-prune:1");
  ASSERT_TRUE(kept && kept->has_value()) << "the tagged image stays";
}

TEST_F(EngineClientTest, APullOfAMissingImageSaysWhy) {
  auto s = client_->PullImage("127.0.0.1:1/raibid/none:1", "");
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().kind, ErrorKind::kInfrastructure);
  EXPECT_NE(s.error().message.find("127.0.0.1:1/raibid/none:1"), std::string::npos)
      << s.error().message;
}

}  // namespace
}  // namespace raibid
