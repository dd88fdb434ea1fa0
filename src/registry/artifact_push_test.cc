// A job's artifacts published to a real docker-registry (Basic auth) and read back with skopeo
// and by pulling every layer byte for byte.
#include "registry/artifact_push.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "process/run_command.h"
#include "registry/registry_test_util.h"
#include "support/oci_registry.h"
#include "support/recording_sink.h"

namespace raibid {
namespace {

namespace fs = std::filesystem;
using testing::MakeClient;
using testing::TestConfig;

class ArtifactPushTest : public ::testing::Test {
 protected:
  ArtifactPushTest() {
    testing::WriteFile(ws() / "dist/app", testing::RandomBytes(300 << 10));
    testing::WriteFile(ws() / "reports/unit.xml", "<testsuite/>");
    testing::WriteFile(ws() / "reports/it.xml", "<testsuite name='it'/>");
    testing::WriteFile(ws() / "docs/index.html", "<h1>docs</h1>");
    testing::WriteFile(ws() / "docs/img/logo.svg", "<svg/>");
  }
  fs::path ws() const { return work_.path() / "ws"; }
  ArtifactRequest Request() {
    return {.workspace = ws(),
            .paths = {"dist/app", "reports/*.xml", "docs"},
            .log_text = "step build: ok\n",
            .repository = "https://gitea.example.com/Team/App.git",
            .job_id = "JOB-42",
            .revision = "0123456789abcdef0123456789abcdef01234567",
            .source_url = "https://gitea.example.com/Team/App",
            .scratch_dir = work_.path() / "scratch"};
  }
  std::string Fetch(const std::string& digest) {
    const fs::path out = work_.path() / "fetched";
    auto s = client_->FetchBlob("team/app", digest, out);
    EXPECT_TRUE(s) << s.error().message;
    return testing::ReadFile(out);
  }

  testing::OciRegistry registry_{{.username = "ci", .password = "ci-pass"}};
  testing::TempDir work_;
  std::unique_ptr<RegistryClient> client_ =
      MakeClient(TestConfig(registry_.url(), "ci", "ci-pass"));
  testing::RecordingSink log_;
};

TEST_F(ArtifactPushTest, PublishesOneArtifactWithALayerPerFileAndTheLog) {
  auto pushed = PushArtifacts(*client_, Request(), log_);
  ASSERT_TRUE(pushed) << pushed.error().message;
  EXPECT_EQ(pushed->reference, registry_.host() + "/team/app:build-job-42");
  const auto m = nlohmann::json::parse(registry_.InspectRaw("team/app:build-job-42"));
  EXPECT_EQ(m["artifactType"], "application/vnd.raibid.build.v1");
  EXPECT_EQ(m["config"]["mediaType"], "application/vnd.oci.empty.v1+json");
  EXPECT_EQ(m["annotations"]["org.opencontainers.image.revision"], Request().revision);
  EXPECT_EQ(m["annotations"]["org.opencontainers.image.source"], Request().source_url);
  EXPECT_TRUE(m["annotations"].contains("org.opencontainers.image.created"));
  std::vector<std::string> titles;
  for (const auto& l : m["layers"])
    titles.push_back(l["annotations"]["org.opencontainers.image.title"]);
  EXPECT_EQ(titles, (std::vector<std::string>{"dist/app", "reports/it.xml", "reports/unit.xml",
                                              "docs", "raibid-build.log"}));
  ASSERT_EQ(pushed->artifacts.size(), 5u);
  EXPECT_EQ(pushed->artifacts[0].name, "dist/app");
  EXPECT_EQ(pushed->artifacts[0].reference, pushed->reference);
  EXPECT_EQ(Fetch(m["layers"][0]["digest"]), testing::ReadFile(ws() / "dist/app"));
  EXPECT_EQ(Fetch(m["layers"][2]["digest"]), "<testsuite/>");
  EXPECT_EQ(Fetch(m["layers"][4]["digest"]), "step build: ok\n");
  EXPECT_NE(log_.Lines().find("artifacts/sys: artifacts: pushed " + pushed->reference),
            std::string::npos)
      << log_.Lines();
}

TEST_F(ArtifactPushTest, DirectoryIsATarGzipORASUnpacks) {
  auto pushed = PushArtifacts(*client_, Request(), log_);
  ASSERT_TRUE(pushed) << pushed.error().message;
  const auto m = nlohmann::json::parse(registry_.InspectRaw("team/app:build-job-42"));
  const auto& docs = m["layers"][3];
  EXPECT_EQ(docs["mediaType"], "application/vnd.oci.image.layer.v1.tar+gzip");
  EXPECT_EQ(docs["annotations"]["io.deis.oras.content.unpack"], "true");
  testing::WriteFile(work_.path() / "docs.tgz", Fetch(docs["digest"]));
  fs::create_directories(work_.path() / "out");
  auto r = RunCommand({.argv = {"tar", "-xzf", (work_.path() / "docs.tgz").string(), "-C",
                                (work_.path() / "out").string()}});
  ASSERT_TRUE(r && r->ok());
  EXPECT_EQ(testing::ReadFile(work_.path() / "out/docs/img/logo.svg"), "<svg/>");
  EXPECT_FALSE(fs::exists(work_.path() / "scratch") && !fs::is_empty(work_.path() / "scratch"));
}

TEST_F(ArtifactPushTest, SecondPushUploadsOnlyWhatChanged) {
  ASSERT_TRUE(PushArtifacts(*client_, Request(), log_));
  const int puts = registry_.CountRequests("PUT", "/blobs/uploads/");
  auto req = Request();
  req.job_id = "job-43";
  req.log_text = "another log\n";
  testing::RecordingSink second;
  ASSERT_TRUE(PushArtifacts(*client_, req, second));
  EXPECT_EQ(registry_.CountRequests("PUT", "/blobs/uploads/"), puts + 1);  // the new log only
  EXPECT_NE(second.Lines().find("dist/app (300 KiB, sha256:"), std::string::npos) << second.Lines();
  EXPECT_NE(second.Lines().find("): existed"), std::string::npos) << second.Lines();
}

TEST_F(ArtifactPushTest, EscapingPathIsRefusedBeforeAnythingIsPushed) {
  fs::create_symlink("/etc", ws() / "etc");
  for (const std::string p : {"../outside", "/etc/passwd", "etc/passwd"}) {
    auto req = Request();
    req.paths = {p};
    auto pushed = PushArtifacts(*client_, req, log_);
    ASSERT_FALSE(pushed) << p;
    EXPECT_EQ(pushed.error().kind, ErrorKind::kInvalidPipeline) << p;
    EXPECT_NE(pushed.error().message.find("'" + p + "'"), std::string::npos)
        << pushed.error().message;
  }
  EXPECT_EQ(registry_.CountRequests("POST", "/blobs/uploads/"), 0);
}

TEST_F(ArtifactPushTest, OneMatchPastTheArtifactsLimitFailsBeforeAnythingIsPushed) {
  auto req = Request();  // dist/app, reports/it.xml, reports/unit.xml, docs
  req.limits.artifacts = 3;
  auto pushed = PushArtifacts(*client_, req, log_);
  ASSERT_FALSE(pushed);
  EXPECT_EQ(pushed.error().kind, ErrorKind::kInvalidPipeline);
  EXPECT_EQ(pushed.error().message,
            "artifacts.paths: 4 files and directories matched, more than "
            "agent.limits.artifacts (3)");
  EXPECT_EQ(registry_.CountRequests("POST", "/blobs/uploads/"), 0);
  req.limits.artifacts = 4;
  auto ok = PushArtifacts(*client_, req, log_);
  EXPECT_TRUE(ok) << ok.error().message;
}

TEST_F(ArtifactPushTest, ABytePastArtifactBytesFailsBeforeAnythingIsPushed) {
  auto req = Request();
  req.paths = {"reports/*.xml"};  // 12 + 22 bytes
  req.limits.artifact_bytes = 33;
  auto pushed = PushArtifacts(*client_, req, log_);
  ASSERT_FALSE(pushed);
  EXPECT_EQ(pushed.error().kind, ErrorKind::kInvalidPipeline);
  EXPECT_EQ(pushed.error().message,
            "artifacts.paths: the files matched hold 34 bytes, over "
            "agent.limits.artifact_bytes (33 bytes)");
  // A directory fits by its files' sizes but not as packed (tar headers, gzip).
  req.paths = {"docs"};  // 13 + 6 bytes of files
  req.limits.artifact_bytes = 19;
  pushed = PushArtifacts(*client_, req, log_);
  ASSERT_FALSE(pushed);
  EXPECT_TRUE(pushed.error().message.starts_with("artifacts.paths: the layers to publish hold "))
      << pushed.error().message;
  EXPECT_TRUE(pushed.error().message.ends_with(", over agent.limits.artifact_bytes (19 bytes)"))
      << pushed.error().message;
  EXPECT_EQ(registry_.CountRequests("POST", "/blobs/uploads/"), 0);
  req.paths = {"reports/*.xml"};
  req.limits.artifact_bytes = 34;
  auto ok = PushArtifacts(*client_, req, log_);
  EXPECT_TRUE(ok) << ok.error().message;
}

TEST_F(ArtifactPushTest, LogFileIsPublishedAsItWasWhenThePushStarted) {
  auto req = Request();
  req.paths = {};
  req.log_file = work_.path() / "job.log";
  testing::WriteFile(req.log_file, "line 1\nline 2\n");
  auto pushed = PushArtifacts(*client_, req, log_);
  ASSERT_TRUE(pushed) << pushed.error().message;
  ASSERT_EQ(pushed->artifacts.size(), 1u);
  EXPECT_EQ(pushed->artifacts[0].name, "raibid-build.log");
  EXPECT_EQ(Fetch(pushed->artifacts[0].digest), "line 1\nline 2\n");
}

TEST_F(ArtifactPushTest, MissingPathIsAWarningInTheLog) {
  auto req = Request();
  req.paths = {"dist/app", "coverage/**/*.html"};
  auto pushed = PushArtifacts(*client_, req, log_);
  ASSERT_TRUE(pushed) << pushed.error().message;
  EXPECT_EQ(pushed->artifacts.size(), 2u);
  EXPECT_NE(log_.Lines().find("'coverage/**/*.html' matched nothing"), std::string::npos)
      << log_.Lines();
}

TEST_F(ArtifactPushTest, WrongCredentialsFailTheJobAsInfrastructureNamingTheRegistry) {
  auto bad = MakeClient(TestConfig(registry_.url(), "ci", "nope-nope"));
  auto pushed = PushArtifacts(*bad, Request(), log_);
  ASSERT_FALSE(pushed);
  EXPECT_EQ(pushed.error().kind, ErrorKind::kInfrastructure);
  EXPECT_FALSE(pushed.error().retryable);
  EXPECT_NE(pushed.error().message.find(registry_.host()), std::string::npos);
  EXPECT_NE(pushed.error().message.find("HTTP 401"), std::string::npos) << pushed.error().message;
}

TEST_F(ArtifactPushTest, RegistryDownFailsRetryablyAndTheRetriesAreLogged) {
  registry_.Stop();
  auto pushed = PushArtifacts(*client_, Request(), log_);
  ASSERT_FALSE(pushed);
  EXPECT_EQ(pushed.error().kind, ErrorKind::kInfrastructure);
  EXPECT_TRUE(pushed.error().retryable);
  EXPECT_NE(pushed.error().message.find(registry_.host()), std::string::npos)
      << pushed.error().message;
  EXPECT_NE(log_.Lines().find("retrying in"), std::string::npos) << log_.Lines();
}

}  // namespace
}  // namespace raibid
