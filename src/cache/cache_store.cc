#include "cache/cache_store.h"

#include <sys/file.h>

#include <algorithm>
#include <cstdio>

#include "util/disk_usage.h"
#include "util/unique_fd.h"

namespace raibid {
namespace {

namespace fs = std::filesystem;
constexpr const char* kSuffix = ".tar.zst";

void Touch(const fs::path& p) {
  std::error_code ec;
  fs::last_write_time(p, fs::file_time_type::clock::now(), ec);
}

}  // namespace

std::string HashName(std::string_view text) {
  uint64_t h = 1469598103934665603ull;  // FNV-1a
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ull;
  }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

CacheStore::CacheStore(fs::path root, uint64_t max_bytes, std::vector<fs::path> also_counted,
                       int threads)
    : root_(std::move(root)),
      max_bytes_(max_bytes),
      also_counted_(std::move(also_counted)),
      threads_(threads) {}

fs::path CacheStore::ScopeDir(const std::string& scope) const { return root_ / HashName(scope); }

fs::path CacheStore::EntryPath(const CacheKey& key) const {
  return ScopeDir(key.scope) / (HashName(key.name) + kSuffix);
}

std::optional<CacheHit> CacheStore::Find(const CacheLookup& lookup) const {
  std::error_code ec;
  for (const auto& key : lookup.keys) {
    const auto p = EntryPath(key);
    if (fs::is_regular_file(p, ec)) return CacheHit{p, key.ToString(), true};
  }
  for (const auto& scope : lookup.fallback_scopes) {
    std::optional<fs::path> newest;
    fs::file_time_type newest_time{};
    for (const auto& e : fs::directory_iterator(ScopeDir(scope), ec)) {
      if (!e.path().string().ends_with(kSuffix)) continue;
      const auto t = e.last_write_time(ec);
      if (!newest || t > newest_time) newest = e.path(), newest_time = t;
    }
    if (newest) return CacheHit{*newest, scope + "#*", false};
  }
  return std::nullopt;
}

Result<ArchiveStats> CacheStore::Restore(const CacheHit& hit, const std::vector<ArchiveRoot>& roots,
                                         const InputLimits& limits) {
  auto stats = ReadCacheArchive(hit.entry, roots, limits);
  std::error_code ec;
  if (!stats) {
    fs::remove(hit.entry, ec);  // damaged or too large: the next save writes a good one
    return stats;
  }
  Touch(hit.entry);
  return stats;
}

Result<ArchiveStats> CacheStore::Save(const CacheKey& key, const std::vector<ArchiveRoot>& roots,
                                      const InputLimits& limits) {
  return WriteCacheArchive(EntryPath(key), roots, threads_, limits);
}

Result<uint64_t> CacheStore::Evict() {
  return EvictWhile([this](uint64_t total) { return total > max_bytes_; });
}

Result<uint64_t> CacheStore::EvictUntil(const std::function<bool()>& enough) {
  return EvictWhile([&](uint64_t) { return !enough(); });
}

Result<uint64_t> CacheStore::EvictWhile(const std::function<bool(uint64_t total)>& more) {
  std::error_code ec;
  fs::create_directories(root_, ec);
  UniqueFd lock(::open((root_ / ".lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
  if (!lock.valid() || flock(lock.get(), LOCK_EX) != 0) {
    return Fail(ErrorKind::kInfrastructure, "cannot lock the cache store " + root_.string());
  }
  struct Entry {
    fs::path path;
    fs::file_time_type used;
    uint64_t bytes;
  };
  std::vector<Entry> entries;
  uint64_t total = 0;
  for (auto it = fs::recursive_directory_iterator(root_, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (!it->is_regular_file(ec) || !it->path().string().ends_with(kSuffix)) continue;
    entries.push_back({it->path(), it->last_write_time(ec), it->file_size(ec)});
    total += entries.back().bytes;
  }
  for (const auto& dir : also_counted_) total += TreeBytes(dir);
  std::sort(entries.begin(), entries.end(),
            [](const Entry& a, const Entry& b) { return a.used < b.used; });
  uint64_t freed = 0;
  for (const auto& e : entries) {
    if (!more(total)) break;
    if (fs::remove(e.path, ec)) {
      total -= e.bytes;
      freed += e.bytes;
    }
  }
  return freed;
}

}  // namespace raibid
