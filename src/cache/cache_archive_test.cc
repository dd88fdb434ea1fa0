#include "cache/cache_archive.h"

#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>

#include "cache/cache_store.h"
#include "support/temp_dir.h"

namespace raibid {
namespace {

namespace fs = std::filesystem;
using testing::ReadFile;
using testing::TempDir;
using testing::WriteFile;

// One entry of a hand-made archive: a file with `content`, or a symlink to `link`.
struct RawEntry {
  std::string name;
  std::string content;
  std::string link;
};

// Writes `entries` as a zstd-compressed tar, names as they are (no checks), as a hostile
// cache entry would hold them.
void WriteRawArchive(const fs::path& file, const std::vector<RawEntry>& entries) {
  archive* a = archive_write_new();
  archive_write_add_filter_zstd(a);
  archive_write_set_format_pax_restricted(a);
  ASSERT_EQ(archive_write_open_filename(a, file.c_str()), ARCHIVE_OK);
  for (const auto& e : entries) {
    archive_entry* entry = archive_entry_new();
    archive_entry_set_pathname(entry, e.name.c_str());
    archive_entry_set_perm(entry, 0644);
    if (!e.link.empty()) {
      archive_entry_set_filetype(entry, AE_IFLNK);
      archive_entry_set_symlink(entry, e.link.c_str());
    } else {
      archive_entry_set_filetype(entry, AE_IFREG);
      archive_entry_set_size(entry, static_cast<la_int64_t>(e.content.size()));
    }
    ASSERT_EQ(archive_write_header(a, entry), ARCHIVE_OK);
    if (!e.content.empty()) archive_write_data(a, e.content.data(), e.content.size());
    archive_entry_free(entry);
  }
  archive_write_close(a);
  archive_write_free(a);
}

class CacheArchiveTest : public ::testing::Test {
 protected:
  void MakeTree(const fs::path& ws) {
    WriteFile(ws / "target/debug/app", "binary");
    fs::permissions(ws / "target/debug/app", fs::perms(0755));
    WriteFile(ws / "target/big.bin", std::string(3 << 20, 'x') + "end");
    fs::create_directories(ws / "target/empty");
    fs::create_symlink("debug/app", ws / "target/link");
    WriteFile(ws / "README", "not cached");
  }
  TempDir dir_;
};

TEST_F(CacheArchiveTest, RoundTripKeepsModesLinksEmptyDirsAndLargeFiles) {
  const auto ws = dir_.path() / "ws", ws2 = dir_.path() / "ws2";
  MakeTree(ws);
  WriteFile(dir_.path() / "home/.cargo/registry/index", "idx");
  auto saved =
      WriteCacheArchive(dir_.path() / "e.tar.zst",
                        {{"w", ws, {"target"}}, {"h", dir_.path() / "home", {".cargo"}}}, 2);
  ASSERT_TRUE(saved) << saved.error().message;
  EXPECT_GE(saved->bytes, 3u << 20);
  auto restored = ReadCacheArchive(dir_.path() / "e.tar.zst",
                                   {{"w", ws2, {}}, {"h", dir_.path() / "home2", {}}});
  ASSERT_TRUE(restored) << restored.error().message;
  EXPECT_EQ(ReadFile(ws2 / "target/debug/app"), "binary");
  EXPECT_EQ((fs::status(ws2 / "target/debug/app").permissions() & fs::perms::owner_exec),
            fs::perms::owner_exec);
  EXPECT_EQ(ReadFile(ws2 / "target/big.bin").size(), (3u << 20) + 3);
  EXPECT_TRUE(fs::is_directory(ws2 / "target/empty"));
  EXPECT_EQ(fs::read_symlink(ws2 / "target/link"), "debug/app");
  EXPECT_FALSE(fs::exists(ws2 / "README"));
  EXPECT_EQ(ReadFile(dir_.path() / "home2/.cargo/registry/index"), "idx");
}

TEST_F(CacheArchiveTest, TruncatedOrForeignEntriesAreErrors) {
  const auto ws = dir_.path() / "ws";
  MakeTree(ws);
  ASSERT_TRUE(WriteCacheArchive(dir_.path() / "e.tar.zst", {{"w", ws, {"target"}}}, 1));
  const auto size = fs::file_size(dir_.path() / "e.tar.zst");
  fs::resize_file(dir_.path() / "e.tar.zst", size / 2);
  EXPECT_FALSE(ReadCacheArchive(dir_.path() / "e.tar.zst", {{"w", dir_.path() / "out", {}}}));
  WriteFile(dir_.path() / "junk.tar.zst", "this is not an archive");
  EXPECT_FALSE(ReadCacheArchive(dir_.path() / "junk.tar.zst", {{"w", dir_.path() / "out", {}}}));
}

TEST_F(CacheArchiveTest, EntriesCannotWriteThroughASymlinkOutsideTheRoot) {
  // An entry made of a link "w/target -> <outside>" followed by "w/target/evil".
  const auto src = dir_.path() / "src";
  const auto outside = dir_.path() / "outside";
  fs::create_directories(outside);
  fs::create_directories(src);
  fs::create_symlink(outside, src / "target");
  ASSERT_TRUE(WriteCacheArchive(dir_.path() / "a.tar.zst", {{"w", src, {"target"}}}, 1));
  const auto dst = dir_.path() / "dst";
  ASSERT_TRUE(ReadCacheArchive(dir_.path() / "a.tar.zst", {{"w", dst, {}}}));
  WriteFile(dir_.path() / "evil/target/evil", "x");
  ASSERT_TRUE(
      WriteCacheArchive(dir_.path() / "b.tar.zst", {{"w", dir_.path() / "evil", {"target"}}}, 1));
  (void)ReadCacheArchive(dir_.path() / "b.tar.zst", {{"w", dst, {}}});
  EXPECT_FALSE(fs::exists(outside / "evil"));
}

TEST_F(CacheArchiveTest, HostileEntryNamesAreRefusedAndNothingIsWrittenOutside) {
  // The roots sit three levels down, so every escape below lands inside the temp dir.
  const auto ws = dir_.path() / "a/b/ws", home = dir_.path() / "a/b/home";
  const std::vector<std::string> hostile = {"../../etc/passwd",
                                            "w/../../escape",
                                            "w/../../../escape",
                                            "w/x/../../../escape",
                                            (dir_.path() / "escape").string(),
                                            "w//" + (dir_.path() / "escape").string(),
                                            "h/../w/../../escape"};
  for (const auto& name : hostile) {
    const auto file = dir_.path() / "hostile.tar.zst";
    WriteRawArchive(file, {{"w/fine", "ok"}, {name, "pwned"}, {"w/after", "never"}});
    auto r = ReadCacheArchive(file, {{"w", ws, {}}, {"h", home, {}}});
    ASSERT_FALSE(r) << name;
    EXPECT_NE(r.error().message.find("'" + name + "'"), std::string::npos) << r.error().message;
    EXPECT_EQ(ReadFile(ws / "fine"), "ok");
    EXPECT_FALSE(fs::exists(ws / "after")) << name;
    for (const auto& p : fs::recursive_directory_iterator(dir_.path())) {
      EXPECT_NE(p.path().filename(), "escape") << name << ": " << p.path();
      EXPECT_NE(p.path().filename(), "passwd") << name << ": " << p.path();
    }
  }
}

TEST_F(CacheArchiveTest, DevicesFifosAndSetUidBitsAreNotRestored) {
  const auto file = dir_.path() / "special.tar.zst";
  archive* a = archive_write_new();
  archive_write_add_filter_zstd(a);
  archive_write_set_format_pax_restricted(a);
  ASSERT_EQ(archive_write_open_filename(a, file.c_str()), ARCHIVE_OK);
  auto add = [&](const char* name, mode_t type, mode_t perm, const std::string& body) {
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, name);
    archive_entry_set_filetype(e, type);
    archive_entry_set_perm(e, perm);
    if (type == AE_IFCHR) archive_entry_set_rdev(e, makedev(1, 3));
    archive_entry_set_size(e, static_cast<la_int64_t>(body.size()));
    archive_write_header(a, e);
    if (!body.empty()) archive_write_data(a, body.data(), body.size());
    archive_entry_free(e);
  };
  add("w/null", AE_IFCHR, 0666, "");
  add("w/pipe", AE_IFIFO, 0644, "");
  add("w/suid", AE_IFREG, 04755, "#!/bin/sh\n");
  add("w/plain", AE_IFREG, 0640, "ok");
  archive_write_close(a);
  archive_write_free(a);
  const auto ws = dir_.path() / "ws";
  auto r = ReadCacheArchive(file, {{"w", ws, {}}});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_FALSE(fs::exists(fs::symlink_status(ws / "null")));
  EXPECT_FALSE(fs::exists(fs::symlink_status(ws / "pipe")));
  EXPECT_EQ(fs::status(ws / "suid").permissions(), fs::perms(0755));
  EXPECT_EQ(ReadFile(ws / "plain"), "ok");
}

TEST_F(CacheArchiveTest, AnEntryThroughASymlinkOutOfTheRootIsRefusedByName) {
  const auto ws = dir_.path() / "ws", outside = dir_.path() / "outside";
  fs::create_directories(outside);
  for (const std::string& target : std::vector<std::string>{outside.string(), "../outside"}) {
    WriteRawArchive(dir_.path() / "link.tar.zst",
                    {{"w/link", "", target}, {"w/link/evil", "pwned"}});
    auto r = ReadCacheArchive(dir_.path() / "link.tar.zst", {{"w", ws, {}}});
    ASSERT_FALSE(r) << target;
    EXPECT_NE(r.error().message.find("'w/link/evil'"), std::string::npos) << r.error().message;
    EXPECT_FALSE(fs::exists(outside / "evil"));
    fs::remove(ws / "link");
  }
}

TEST_F(CacheArchiveTest, ASymlinkInsideTheRootIsStillRestored) {
  const auto ws = dir_.path() / "ws";
  WriteRawArchive(dir_.path() / "ok.tar.zst",
                  {{"w/real/file", "x"}, {"w/link", "", "real"}, {"w/unrelated/y", "y"}});
  auto r = ReadCacheArchive(dir_.path() / "ok.tar.zst", {{"w", ws, {}}});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(fs::read_symlink(ws / "link"), "real");
  EXPECT_EQ(ReadFile(ws / "unrelated/y"), "y");
}

TEST_F(CacheArchiveTest, SavingAPathThroughASymlinkOutOfTheRootIsRefused) {
  const auto ws = dir_.path() / "ws";
  WriteFile(dir_.path() / "outside/sub/host-file", "host");
  fs::create_directories(ws);
  fs::create_directory_symlink(dir_.path() / "outside", ws / "a");
  auto saved = WriteCacheArchive(dir_.path() / "s.tar.zst", {{"w", ws, {"a/sub"}}}, 1);
  ASSERT_FALSE(saved);
  EXPECT_NE(saved.error().message.find("'a/sub'"), std::string::npos) << saved.error().message;
  EXPECT_FALSE(fs::exists(dir_.path() / "s.tar.zst"));
}

TEST_F(CacheArchiveTest, AnInterruptedSaveLeavesNoEntry) {
  const auto ws = dir_.path() / "ws";
  WriteFile(ws / "target/huge", std::string(64 << 20, 'z'));
  CacheStore store(dir_.path() / "store", 1ull << 40, {});
  const CacheKey key{"repo#branch:main", "k"};
  pid_t child = fork();
  if (child == 0) {
    (void)store.Save(key, {{"w", ws, {"target"}}});
    _exit(0);
  }
  ASSERT_TRUE(testing::WaitFor([&] {
    std::error_code ec;
    for (auto& e : fs::recursive_directory_iterator(dir_.path() / "store", ec)) {
      if (e.path().string().find(".tmp-") != std::string::npos) return true;
    }
    return false;
  }));
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  EXPECT_FALSE(fs::exists(store.EntryPath(key)));
  EXPECT_FALSE(store.Find({.keys = {key}, .fallback_scopes = {"repo#branch:main"}}));
}

// Nothing of an entry whose save was refused: no entry, no temporary file.
bool NothingSaved(const fs::path& dir, const std::string& name) {
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().filename().string().starts_with(name)) return false;
  }
  return true;
}

TEST_F(CacheArchiveTest, ASaveJustPastCacheEntriesWritesNothing) {
  const auto ws = dir_.path() / "ws";
  WriteFile(ws / "t/a", "a");
  WriteFile(ws / "t/b", "b");  // t, t/a and t/b: three entries
  InputLimits limits;
  limits.cache_entries = 3;
  ASSERT_TRUE(WriteCacheArchive(dir_.path() / "ok.tar.zst", {{"w", ws, {"t"}}}, 1, limits));
  limits.cache_entries = 2;
  auto saved = WriteCacheArchive(dir_.path() / "e.tar.zst", {{"w", ws, {"t"}}}, 1, limits);
  ASSERT_FALSE(saved);
  EXPECT_EQ(saved.error().message, "it holds more files than agent.limits.cache_entries (2)");
  EXPECT_TRUE(NothingSaved(dir_.path(), "e.tar.zst"));
}

TEST_F(CacheArchiveTest, ASaveJustPastCacheArchiveBytesWritesNothing) {
  const auto ws = dir_.path() / "ws";
  WriteFile(ws / "t/a", std::string(100, 'a'));
  WriteFile(ws / "t/b", "b");
  InputLimits limits;
  limits.cache_archive_bytes = 101;
  auto ok = WriteCacheArchive(dir_.path() / "ok.tar.zst", {{"w", ws, {"t"}}}, 1, limits);
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ(ok->bytes, 101u);
  limits.cache_archive_bytes = 100;
  auto saved = WriteCacheArchive(dir_.path() / "e.tar.zst", {{"w", ws, {"t"}}}, 1, limits);
  ASSERT_FALSE(saved);
  EXPECT_EQ(saved.error().message,
            "it holds more than agent.limits.cache_archive_bytes (100 bytes)");
  EXPECT_TRUE(NothingSaved(dir_.path(), "e.tar.zst"));
}

TEST_F(CacheArchiveTest, ARestoreStopsJustPastCacheEntries) {
  const auto entry = dir_.path() / "e.tar.zst";
  // Entries of another prefix are not restored, but count: reading them costs too.
  WriteRawArchive(entry, {{"x/skipped", "s", ""}, {"w/a", "a", ""}, {"w/b", "b", ""}});
  const auto ws = dir_.path() / "ws";
  InputLimits limits;
  limits.cache_entries = 3;
  ASSERT_TRUE(ReadCacheArchive(entry, {{"w", ws, {}}}, limits));
  fs::remove_all(ws);
  limits.cache_entries = 2;
  auto restored = ReadCacheArchive(entry, {{"w", ws, {}}}, limits);
  ASSERT_FALSE(restored);
  EXPECT_EQ(restored.error().message,
            "cache entry holds more files than agent.limits.cache_entries (2); restore stopped");
  EXPECT_TRUE(fs::exists(ws / "a"));
  EXPECT_FALSE(fs::exists(ws / "b"));
}

TEST_F(CacheArchiveTest, ARestoreStopsJustPastCacheArchiveBytes) {
  const auto entry = dir_.path() / "e.tar.zst";
  WriteRawArchive(entry, {{"w/a", std::string(10, 'a'), ""}, {"w/b", std::string(10, 'b'), ""}});
  const auto ws = dir_.path() / "ws";
  InputLimits limits;
  limits.cache_archive_bytes = 20;
  ASSERT_TRUE(ReadCacheArchive(entry, {{"w", ws, {}}}, limits));
  fs::remove_all(ws);
  limits.cache_archive_bytes = 19;
  auto restored = ReadCacheArchive(entry, {{"w", ws, {}}}, limits);
  ASSERT_FALSE(restored);
  EXPECT_EQ(restored.error().message,
            "cache entry holds more than agent.limits.cache_archive_bytes (19 bytes); "
            "restore stopped");
  EXPECT_EQ(ReadFile(ws / "a"), std::string(10, 'a'));
  EXPECT_FALSE(fs::exists(ws / "b"));  // refused by its header, before anything is written
}

}  // namespace
}  // namespace raibid
