// The Rust builder image (scripts/builder-images.sh rust) running the design's pipeline for a
// Rust crate through the docker executor: .raibid.yaml from the repository, the image picked by
// `language` and `rust_version` through agent.docker.language_image's default template, and
// rustfmt, clippy, the tests and a release build passing inside it. The image lives in the
// machine's own Podman storage; without it the test skips, naming the script that makes it.
#include <gtest/gtest.h>

#include "support/agent_harness.h"
#include "support/git_repo.h"
#include "support/podman_service.h"
#include "support/server_process.h"

namespace raibid {
namespace {

using testing::AgentHarness;
using testing::PodmanService;

constexpr const char* kImage = "raibid/rust-builder:1.63.0";

constexpr const char* kPipeline = R"(language: rust
rust_version: "1.63.0"
cache:
  paths: ["target/"]
steps:
  - name: fmt
    command: cargo fmt --check
  - name: clippy
    command: cargo clippy --offline -- -D warnings
  - name: test
    command: cargo test --offline
  - name: build
    command: |
      cargo build --release --offline
      ./target/release/hello
)";

constexpr const char* kMain = R"(fn greeting(name: &str) -> String {
    format!("hello, {}", name)
}

fn main() {
    println!("{}", greeting("raibid"));
}

#[cfg(test)]
mod tests {
    #[test]
    fn greets() {
        assert_eq!(super::greeting("x"), "hello, x");
    }
}
)";

bool HasImage(const PodmanService& podman) {
  try {
    podman.Podman({"image", "exists", kImage});
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

TEST(RustBuilderImage, TheDesignsRustPipelinePassesThroughTheDockerExecutor) {
  if (!testing::PodmanAvailable()) GTEST_SKIP() << "podman or runc is not installed";
  PodmanService podman({.machine_storage = true});
  if (!HasImage(podman)) {
    GTEST_SKIP() << kImage << " is not built here: run scripts/builder-images.sh rust";
  }
  testing::TempDir repos("raibid-repos");
  testing::GitRepo repo(repos.path() / "acme" / "crate.git");
  repo.Commit(
      {{".raibid.yaml", kPipeline},
       {"Cargo.toml", "[package]\nname = \"hello\"\nversion = \"0.1.0\"\nedition = \"2021\"\n"},
       {"src/main.rs", kMain}});
  AgentHarness h({.git_base_url = "file://" + repos.path().string(),
                  .docker = DockerSettings{},
                  .docker_host = podman.host(),
                  .consumer = "rust-builder-test"});
  h.Enqueue(R"({"job_id": "rust1", "repository": "acme/crate", "branch": "main"})");
  ASSERT_EQ(h.WaitFinal("rust1", std::chrono::minutes(10)), "succeeded")
      << h.Field("rust1", "error") << h.Log("rust1");
  const std::string log = h.Log("rust1");
  EXPECT_NE(log.find(std::string("from ") + kImage), std::string::npos) << log;
  EXPECT_NE(log.find("test tests::greets ... ok"), std::string::npos) << log;
  EXPECT_NE(log.find("hello, raibid\n"), std::string::npos) << log;
  EXPECT_NE(h.Field("rust1", "steps").find(R"("name":"clippy","state":"succeeded")"),
            std::string::npos)
      << h.Field("rust1", "steps");
  EXPECT_EQ(podman.Podman({"ps", "-aq", "--filter", "label=raibid.job=rust1"}), "");
}

}  // namespace
}  // namespace raibid
