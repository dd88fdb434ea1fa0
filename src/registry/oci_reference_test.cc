#include "registry/oci_reference.h"

#include <gtest/gtest.h>

namespace raibid {
namespace {

ReferenceFields Fields() {
  return {.registry = "gitea.example.com",
          .repository = "Raibid/Core",
          .job_id = "Job-ABC_1",
          .revision = "A1B2C3D4E5F6a7b8",
          .branch = "feature/x"};
}

TEST(OciReference, DefaultTemplateIsLowerCasedForGitea) {
  auto ref = ExpandReference(kDefaultArtifactReference, Fields());
  ASSERT_TRUE(ref) << ref.error().message;
  EXPECT_EQ(ref->ToString(), "gitea.example.com/raibid/core:build-job-abc_1");
  EXPECT_EQ(ref->registry, "gitea.example.com");
  EXPECT_EQ(ref->repository, "raibid/core");
  EXPECT_EQ(ref->tag, "build-job-abc_1");
}

TEST(OciReference, ImageTagTemplateUsesTheShortRevisionAndKeepsThePort) {
  auto f = Fields();
  f.registry = "127.0.0.1:5000";
  auto ref = ExpandReference(kDefaultImageTag, f);
  ASSERT_TRUE(ref) << ref.error().message;
  EXPECT_EQ(ref->ToString(), "127.0.0.1:5000/raibid/core:a1b2c3d4");
}

TEST(OciReference, BranchBecomesAValidTag) {
  auto ref = ExpandReference("{registry}/{owner}/{name}:{branch}", Fields());
  ASSERT_TRUE(ref) << ref.error().message;
  EXPECT_EQ(ref->tag, "feature-x");
}

TEST(OciReference, UnknownPlaceholderIsAConfigError) {
  auto ref = ExpandReference("{registry}/{repo}:x", Fields());
  ASSERT_FALSE(ref);
  EXPECT_EQ(ref.error().kind, ErrorKind::kConfig);
  EXPECT_NE(ref.error().message.find("{repo}"), std::string::npos);
}

TEST(OciReference, RepositoryUrlGivesItsPath) {
  EXPECT_EQ(RepositoryPath("https://gitea.example.com/raibid/core.git"), "raibid/core");
  EXPECT_EQ(RepositoryPath("raibid/core"), "raibid/core");
  EXPECT_EQ(RepositoryPath("ssh://git@host:2222/a/b/"), "a/b");
}

TEST(OciReference, InvalidRepositoryIsAnInvalidJob) {
  auto f = Fields();
  f.repository = "owner/na..me";
  auto ref = ExpandReference(kDefaultArtifactReference, f);
  ASSERT_FALSE(ref);
  EXPECT_EQ(ref.error().kind, ErrorKind::kInvalidJob);
}

TEST(OciReference, RepositoryGrammar) {
  EXPECT_TRUE(IsValidRepository("a/b"));
  EXPECT_TRUE(IsValidRepository("my-org/my__repo.x"));
  EXPECT_FALSE(IsValidRepository("A/b"));
  EXPECT_FALSE(IsValidRepository("a//b"));
  EXPECT_FALSE(IsValidRepository("a/-b"));
  EXPECT_FALSE(IsValidRepository("a/b?x"));
  EXPECT_FALSE(IsValidRepository("a/../b"));
  EXPECT_TRUE(IsValidTag("build-1.2_x"));
  EXPECT_FALSE(IsValidTag(".x"));
  EXPECT_FALSE(IsValidTag(std::string(129, 'a')));
}

TEST(OciReference, ParsesReferencesWithPortsAndDefaultTag) {
  auto ref = ParseReference("127.0.0.1:5000/a/b");
  ASSERT_TRUE(ref);
  EXPECT_EQ(ref->registry, "127.0.0.1:5000");
  EXPECT_EQ(ref->repository, "a/b");
  EXPECT_EQ(ref->tag, "latest");
}

}  // namespace
}  // namespace raibid
