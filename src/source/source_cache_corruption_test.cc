// A damaged mirror is detected, rebuilt from the remote, and the checkout goes on. Each case
// damages a real mirror the way disks, crashes and people do, then checks out again by full SHA
// (the path that skips the fetch) or by branch (the path that fetches); the pack damages both.
#include <gtest/gtest.h>

#include <fstream>
#include <functional>

#include "source/repository_url.h"
#include "source/source_cache.h"
#include "support/git_repo.h"
#include "support/recording_sink.h"
#include "support/temp_dir.h"

namespace raibid {
namespace {

namespace fs = std::filesystem;
using testing::GitRepo;
using testing::ReadFile;
using testing::RecordingSink;
using testing::RunGit;
using testing::TempDir;
using testing::WriteFile;

std::vector<fs::path> PackFiles(const fs::path& mirror, std::string_view ext) {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(mirror / "objects" / "pack")) {
    if (e.path().extension() == ext) out.push_back(e.path());
  }
  if (out.empty()) throw std::runtime_error("mirror has no " + std::string(ext) + " file");
  return out;
}

fs::path LooseObject(const fs::path& mirror, const std::string& sha) {
  return mirror / "objects" / sha.substr(0, 2) / sha.substr(2);
}

struct Damage {
  std::string name;
  // Damages the mirror; `loose` is a commit the mirror holds as a loose object.
  std::function<void(const fs::path& mirror, const std::string& loose)> apply;
  enum Mode { kByCommit = 1, kByBranch = 2, kBoth = 3 } modes = kByCommit;
  // Whether git notices: a missing loose commit is simply fetched again, nothing else is wrong.
  bool detected = true;
};

void PrintTo(const Damage& damage, std::ostream* os) { *os << damage.name; }

const Damage kDamages[] = {
    {"GarbageHead", [](auto& m, auto&) { WriteFile(m / "HEAD", "garbage\n"); }},
    {"GarbageConfig", [](auto& m, auto&) { WriteFile(m / "config", "[[[garbage\n"); },
     Damage::kByBranch},
    {"GarbagePackedRefs", [](auto& m, auto&) { WriteFile(m / "packed-refs", "xx\n"); }},
    {"ObjectsDirDeleted", [](auto& m, auto&) { fs::remove_all(m / "objects"); }, Damage::kByBranch},
    {"RefsDirDeleted", [](auto& m, auto&) { fs::remove_all(m / "refs"); }},
    {"MirrorEmptied",
     [](auto& m, auto&) {
       fs::remove_all(m);
       fs::create_directory(m);
     },
     Damage::kByBranch},
    {"MirrorReplacedByFile",
     [](auto& m, auto&) {
       fs::remove_all(m);
       WriteFile(m, "x");
     }},
    {"PackTruncated",
     [](auto& m, auto&) {
       for (auto& p : PackFiles(m, ".pack")) fs::resize_file(p, 100);
     },
     Damage::kBoth},
    {"PackDeleted",
     [](auto& m, auto&) {
       for (auto& p : PackFiles(m, ".pack")) fs::remove(p);
     }},
    {"PackIndexDeleted",
     [](auto& m, auto&) {
       for (auto& p : PackFiles(m, ".idx")) fs::remove(p);
     },
     Damage::kByBranch},
    {"PackOverwritten",
     [](auto& m, auto&) {
       for (auto& p : PackFiles(m, ".pack")) {
         std::fstream f(p, std::ios::in | std::ios::out | std::ios::binary);
         f.seekp(300);
         f << std::string(4000, '\x5a');
       }
     },
     Damage::kBoth},
    {"LooseObjectEmptied", [](auto& m, auto& sha) { fs::resize_file(LooseObject(m, sha), 0); }},
    {"LooseObjectTruncated", [](auto& m, auto& sha) { fs::resize_file(LooseObject(m, sha), 10); },
     Damage::kByBranch},
    {"LooseObjectDeleted", [](auto& m, auto& sha) { fs::remove(LooseObject(m, sha)); },
     Damage::kByCommit, /*detected=*/false},
};

class CorruptMirrorTest : public ::testing::TestWithParam<std::tuple<Damage, bool>> {
 protected:
  CorruptMirrorTest() { repo_.Commit({{"a", "a\n"}, {"dir/b", "b\n"}}, "first"); }

  Result<CheckoutResult> Checkout(SourceRequest request) {
    request.url = repo_.file_url();
    request.workspace = tmp_.path() / "ws" / std::to_string(++workspaces_);
    return cache_.Checkout(request, sink_);
  }

  TempDir tmp_;
  GitRepo repo_{tmp_.path() / "remote"};
  SourceCache cache_{tmp_.path() / "cache", std::nullopt, std::chrono::seconds(30)};
  fs::path mirror_ = tmp_.path() / "cache" / MirrorDirName(repo_.file_url());
  RecordingSink sink_;
  int workspaces_ = 0;
};

TEST_P(CorruptMirrorTest, IsRebuiltAndTheCheckoutGoesOn) {
  const auto& [damage, by_branch] = GetParam();
  ASSERT_TRUE(Checkout({.branch = "main"}));
  // A mirror as it looks after a while: older objects in a pack, the latest fetch loose.
  RunGit(mirror_, {"repack", "-a", "-d", "-q"});
  std::string sha = repo_.Commit({{"README", "latest\n"}}, "latest");
  ASSERT_TRUE(Checkout({.branch = "main"}));
  damage.apply(mirror_, sha);

  auto r = by_branch ? Checkout({.branch = "main"}) : Checkout({.commit = sha});
  ASSERT_TRUE(r) << r.error().message << "\n" << sink_.Lines();
  EXPECT_EQ(r->commit_sha, sha);
  EXPECT_EQ(sink_.Lines().find("is damaged") != std::string::npos, damage.detected)
      << sink_.Lines();
  auto ws = tmp_.path() / "ws" / std::to_string(workspaces_);
  EXPECT_EQ(ReadFile(ws / "README"), "latest\n");
  EXPECT_EQ(ReadFile(ws / "dir" / "b"), "b\n");
  // The mirror is whole again, not just good enough for this one checkout.
  EXPECT_EQ(RunGit(mirror_, {"fsck", "--no-progress", "--no-dangling"}), "");
}

std::vector<std::tuple<Damage, bool>> Cases() {
  std::vector<std::tuple<Damage, bool>> cases;
  for (const Damage& d : kDamages) {
    if (d.modes & Damage::kByCommit) cases.emplace_back(d, false);
    if (d.modes & Damage::kByBranch) cases.emplace_back(d, true);
  }
  return cases;
}

INSTANTIATE_TEST_SUITE_P(Damages, CorruptMirrorTest, ::testing::ValuesIn(Cases()),
                         [](const auto& info) {
                           return std::get<0>(info.param).name +
                                  (std::get<1>(info.param) ? "ByBranch" : "ByCommit");
                         });

TEST(CorruptMirrorRemoteGoneTest, FailsWithTheRemotesErrorNotALoop) {
  TempDir tmp;
  GitRepo repo(tmp.path() / "remote");
  std::string sha = repo.Commit({{"README", "x\n"}});
  SourceCache cache(tmp.path() / "cache", std::nullopt, std::chrono::seconds(30));
  RecordingSink sink;
  ASSERT_TRUE(cache.Checkout(
      {.url = repo.file_url(), .commit = sha, .workspace = tmp.path() / "w1"}, sink));
  WriteFile(tmp.path() / "cache" / MirrorDirName(repo.file_url()) / "HEAD", "garbage\n");
  fs::remove_all(repo.path());
  auto r =
      cache.Checkout({.url = repo.file_url(), .commit = sha, .workspace = tmp.path() / "w2"}, sink);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::kSource);
  EXPECT_NE(r.error().message.find("does not appear to be a git repository"), std::string::npos)
      << r.error().message;
  EXPECT_NE(sink.Lines().find("is damaged"), std::string::npos) << sink.Lines();
  EXPECT_FALSE(fs::exists(tmp.path() / "w2"));
}

}  // namespace
}  // namespace raibid
