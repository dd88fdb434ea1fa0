// The hostile batch, end to end through one agent: input written by strangers (huge and
// deeply nested job messages, a pipeline of 100,000 steps, paths that try to leave the workspace,
// a cache archive planted with `../../` entries, a branch that looks like an option, a step that
// prints the token split across writes and base64-encoded). Each must end with a clear error or
// masked output; the agent's memory stays bounded; nothing outside its roots is touched; an
// ordinary job submitted after them all still runs.
#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>

#include <fstream>

#include "redis/redis.h"
#include "support/agent_harness.h"
#include "support/git_repo.h"
#include "support/oci_registry.h"

namespace raibid {
namespace {

using testing::AgentHarness;

constexpr const char* kToken = "hunter2-secret-token";

long HighWaterKiB() {
  std::ifstream in("/proc/self/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

// A zstd tar whose one entry escapes its root.
void WriteEvilArchive(const std::filesystem::path& file) {
  archive* a = archive_write_new();
  archive_write_set_format_pax_restricted(a);
  archive_write_add_filter_zstd(a);
  ASSERT_EQ(archive_write_open_filename(a, file.c_str()), ARCHIVE_OK);
  const std::string body = "root::0:0:owned:/:/bin/sh\n";
  for (const char* name : {"w/../../../../escaped-by-cache", "../../etc/passwd"}) {
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, name);
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    archive_entry_set_size(e, static_cast<la_int64_t>(body.size()));
    archive_write_header(a, e);
    archive_write_data(a, body.data(), body.size());
    archive_entry_free(e);
  }
  archive_write_close(a);
  archive_write_free(a);
}

class HostileTest : public ::testing::Test {
 protected:
  HostileTest() : repo_(repos_.path() / "acme" / "app.git") {
    testing::WriteFile(outside_.path() / "sentinel", "untouched\n");
    std::filesystem::create_directories(repo_.path() / "dist");
    std::filesystem::create_symlink(outside_.path().string(), repo_.path() / "dist" / "out");
    std::filesystem::create_symlink(outside_.path().string(), repo_.path() / "target");
    sha_ = repo_.Commit({{"README", "one\n"}, {"Cargo.lock", "lock\n"}, {"ok/app", "binary\n"}});
  }
  std::string Job(const std::string& id, const std::string& pipeline,
                  const std::string& extra = "") {
    return R"({"job_id": ")" + id + R"(", "repository": "acme/app", "commit": ")" + sha_ +
           R"(", )" + extra + R"("pipeline": )" + pipeline + "}";
  }
  void XAdd(AgentHarness& h, const std::string& json) {
    auto redis = Redis::Connect(*ParseRedisUrl(h.redis().url()));
    ASSERT_TRUE(redis);
    auto r = (*redis)->Command({"XADD", "ci-jobs", "*", "job", json});
    ASSERT_TRUE(r) << r.error().message;
  }

  testing::TempDir repos_{"raibid-repos"};
  testing::TempDir outside_{"raibid-outside"};
  testing::GitRepo repo_;
  std::string sha_;
};

TEST_F(HostileTest, EveryHostileJobEndsClearlyAndTheAgentKeepsWorking) {
  testing::OciRegistry registry;
  AgentHarness h({.git_base_url = "file://" + repos_.path().string(),
                  .secret = kToken,
                  .registry = RegistryConfig{.url = registry.url(), .insecure = true}});
  const long hwm_before = HighWaterKiB();

  // 1. A 50 MiB job message.
  XAdd(h, Job("huge", R"({"steps": [{"name": "s", "command": "true"}]})",
              R"("env": {"PAD": ")" + std::string(50 << 20, 'x') + R"("}, )"));
  // 2. A pipeline of 100,000 steps.
  std::string steps;
  for (int i = 0; i < 100000; ++i)
    steps +=
        std::string(i ? "," : "") + R"({"name":"s)" + std::to_string(i) + R"(","command":"true"})";
  XAdd(h, Job("many", R"({"steps": [)" + steps + "]}"));
  // 3. JSON nested 100,000 deep.
  XAdd(h, Job("deep", std::string(100000, '[') + std::string(100000, ']')));
  // 4. Artifact paths that try to leave the workspace.
  for (const auto& [id, path] :
       std::vector<std::pair<std::string, std::string>>{{"art-dotdot", "../../etc/passwd"},
                                                        {"art-abs", "/etc/passwd"},
                                                        {"art-link", "dist/out/sentinel"}}) {
    h.Enqueue(Job(id, R"({"artifacts": {"paths": [")" + path +
                          R"("]}, "steps": [{"name": "s", "command": "true"}]})"));
  }
  // 5. Cache paths that try to leave the workspace and the cache home.
  for (const auto& [id, path] : std::vector<std::pair<std::string, std::string>>{
           {"cache-dotdot", "../../outside"}, {"cache-abs", "/etc"}, {"cache-link", "target/"}}) {
    h.Enqueue(Job(id, R"({"cache": {"paths": [")" + path +
                          R"("]}, "steps": [{"name": "s", "command": "true"}]})"));
  }
  // 6. A branch that looks like an option to git.
  h.Enqueue(R"({"job_id": "opt", "repository": "acme/app", "branch": "--upload-pack=touch )" +
            (outside_.path() / "pwned").string() + R"("})");
  // 7. A step printing the token split across two writes, then base64-encoded.
  h.Enqueue(Job(
      "leak",
      R"({"steps": [{"name": "s", "command": "printf 'hunter2-'; sleep 0.3; printf 'secret-token\\n'; printf '%s' ')" +
          std::string(kToken) + R"(' | base64; echo done"}]})"));

  for (const char* id : {"many", "deep", "art-dotdot", "art-abs", "art-link", "cache-dotdot",
                         "cache-abs", "cache-link", "opt", "leak"}) {
    EXPECT_NE(h.WaitFinal(id, std::chrono::seconds(60)), "") << id << " never ended";
  }
  // The 50 MiB message is refused as a whole: failed with the limit named, or dead-lettered.
  ASSERT_TRUE(
      testing::WaitFor([&] { return h.Field("huge", "state") == "failed" || h.DeadCount() > 0; },
                       std::chrono::seconds(30)));
  if (h.Field("huge", "state") == "failed") {
    EXPECT_NE(h.Field("huge", "error").find("agent.limits.job_bytes"), std::string::npos)
        << h.Field("huge", "error");
  }
  EXPECT_EQ(h.Field("many", "state"), "failed");
  // 3.3 MiB of JSON: the message size is the first limit it passes (agent.limits.steps with a
  // larger job_bytes; see the pipeline tests).
  EXPECT_NE(h.Field("many", "error").find("agent.limits."), std::string::npos)
      << h.Field("many", "error");
  EXPECT_EQ(h.Field("deep", "state"), "failed");
  EXPECT_NE(h.Field("deep", "error").find("agent.limits.json_depth"), std::string::npos)
      << h.Field("deep", "error");
  for (const char* id :
       {"art-dotdot", "art-abs", "art-link", "cache-dotdot", "cache-abs", "cache-link"}) {
    EXPECT_EQ(h.Field(id, "state"), "failed") << id << ": " << h.Log(id);
    EXPECT_EQ(h.Field(id, "error_kind"), "invalid_pipeline") << id << ": " << h.Field(id, "error");
  }
  EXPECT_EQ(h.Field("opt", "state"), "failed");
  EXPECT_EQ(h.Field("opt", "error_kind"), "invalid_job") << h.Field("opt", "error");
  EXPECT_EQ(h.Field("leak", "state"), "succeeded");
  const std::string leak_log = h.Log("leak");
  // The "$ printf ..." line shows the script (its halves are not the secret); the output is the
  // joined token, then its base64, each masked.
  EXPECT_EQ(leak_log.find(kToken), std::string::npos) << leak_log;
  EXPECT_EQ(leak_log.find("aHVudGVyMi1zZWNyZXQtdG9rZW4"), std::string::npos) << leak_log;  // base64
  EXPECT_NE(leak_log.find("\n[MASKED]\n[MASKED]\ndone\n"), std::string::npos) << leak_log;

  // 8. A planted cache archive: a first job saves the entry, the file is replaced by one whose
  // entries climb out; the next job restores nothing from it, writes nothing outside, and runs.
  const std::string cached =
      R"({"cache": {"paths": ["build/"]}, "steps": [{"name": "s", "command": "mkdir -p build && echo x > build/x"}]})";
  h.Enqueue(Job("cache-1", cached));
  ASSERT_EQ(h.WaitFinal("cache-1"), "succeeded") << h.Log("cache-1");
  int planted = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(h.root() / "cache" / "deps")) {
    if (e.is_regular_file() && e.path().string().find(".tar") != std::string::npos) {
      WriteEvilArchive(e.path());
      ++planted;
    }
  }
  ASSERT_GT(planted, 0) << "no cache entry was saved";
  h.Enqueue(Job("cache-2", cached));
  ASSERT_EQ(h.WaitFinal("cache-2"), "succeeded") << h.Log("cache-2");
  EXPECT_NE(h.Log("cache-2").find("starting cold"), std::string::npos) << h.Log("cache-2");
  EXPECT_FALSE(std::filesystem::exists(h.root() / "escaped-by-cache"));
  EXPECT_FALSE(std::filesystem::exists(h.root().parent_path() / "escaped-by-cache"));

  // The batch's outcome, row by row (docs/security.md quotes it).
  for (const char* id : {"huge", "many", "deep", "art-dotdot", "art-abs", "art-link",
                         "cache-dotdot", "cache-abs", "cache-link", "opt", "leak", "cache-2"}) {
    std::printf("hostile %-12s %-9s %-17s %.150s\n", id, h.Field(id, "state").c_str(),
                h.Field(id, "error_kind").c_str(), h.Field(id, "error").c_str());
  }

  // And an ordinary job still runs.
  h.Enqueue(Job("ordinary", R"({"steps": [{"name": "s", "command": "echo fine"}]})"));
  ASSERT_EQ(h.WaitFinal("ordinary"), "succeeded");
  EXPECT_NE(h.Log("ordinary").find("fine\n"), std::string::npos);

  EXPECT_EQ(testing::ReadFile(outside_.path() / "sentinel"), "untouched\n");
  EXPECT_FALSE(std::filesystem::exists(outside_.path() / "pwned"));
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(outside_.path()), {}), 1)
      << "nothing new outside the roots";
  // The test process holds the agent and the test's own copies of the 50 MiB message (the text,
  // the JSON, hiredis's formatted command; then the agent's reply buffer and entry): a bound of
  // ten copies.
  // Sanitizers multiply memory (ASan's redzones and quarantine, TSan's shadow): their bound is
  // theirs.
  // GCC says so with __SANITIZE_*__, clang with __has_feature.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define RAIBID_SANITIZED_BUILD 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define RAIBID_SANITIZED_BUILD 1
#endif
#endif
#ifdef RAIBID_SANITIZED_BUILD
  constexpr long kBoundMiB = 4096;
#else
  constexpr long kBoundMiB = 500;
#endif
  const long grown_mib = (HighWaterKiB() - hwm_before) / 1024;
  EXPECT_LT(grown_mib, kBoundMiB) << "peak memory grew by " << grown_mib << " MiB";
  std::printf("hostile batch: peak memory grew by %ld MiB\n", grown_mib);
}

}  // namespace
}  // namespace raibid
