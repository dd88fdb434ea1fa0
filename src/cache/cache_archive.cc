#include "cache/cache_archive.h"

#include <fcntl.h>
#include <unistd.h>
#include <zstd.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <memory>
#include <set>

#include "cache/archive_api.h"
#include "util/path_guard.h"

namespace raibid {
namespace {

// The loaded libarchive. WriteCacheArchive and ReadCacheArchive check that it loaded before
// anything here calls this.
const ArchiveApi& Ar() { return **Archive(); }

using ArchivePtr = std::unique_ptr<archive, int (*)(archive*)>;
using EntryPtr = std::unique_ptr<archive_entry, void (*)(archive_entry*)>;

Error ArchiveError(archive* a, const std::string& what) {
  const char* text = a ? Ar().archive_error_string(a) : nullptr;
  return Error{ErrorKind::kInfrastructure, what + ": " + (text ? text : "unknown error"), false};
}

// "it holds more files than agent.limits.cache_entries (1000000)" and the like.
Error OverEntries(const InputLimits& limits, std::string_view what, std::string_view then = "") {
  return Error{ErrorKind::kInfrastructure,
               std::string(what) + " more files than " +
                   CountLimitText("cache_entries", limits.cache_entries) + std::string(then),
               false};
}

Error OverBytes(const InputLimits& limits, std::string_view what, std::string_view then = "") {
  return Error{ErrorKind::kInfrastructure,
               std::string(what) + " more than " +
                   SizeLimitText("cache_archive_bytes", limits.cache_archive_bytes) +
                   std::string(then),
               false};
}

// Adds the tree at `disk` to `out` under the name `name`, within `limits`.
Status AddTree(archive* out, archive* disk_reader, const std::filesystem::path& disk,
               const std::string& name, ArchiveStats& stats, const InputLimits& limits) {
  if (Ar().archive_read_disk_open(disk_reader, disk.c_str()) != ARCHIVE_OK) {
    return std::unexpected(ArchiveError(disk_reader, "reading " + disk.string()));
  }
  const std::string base = disk.string();
  char buf[1 << 16];
  while (true) {
    EntryPtr entry(Ar().archive_entry_new(), Ar().archive_entry_free);
    int r = Ar().archive_read_next_header2(disk_reader, entry.get());
    if (r == ARCHIVE_EOF) break;
    if (r < ARCHIVE_WARN) return std::unexpected(ArchiveError(disk_reader, "reading " + base));
    Ar().archive_read_disk_descend(disk_reader);
    if (stats.files >= limits.cache_entries) {
      return std::unexpected(OverEntries(limits, "it holds"));
    }
    const bool regular = Ar().archive_entry_filetype(entry.get()) == AE_IFREG;
    const auto size =
        static_cast<uint64_t>(std::max<la_int64_t>(Ar().archive_entry_size(entry.get()), 0));
    if (regular && size > limits.cache_archive_bytes - stats.bytes) {
      return std::unexpected(OverBytes(limits, "it holds"));
    }
    const std::string path = Ar().archive_entry_pathname(entry.get());
    Ar().archive_entry_copy_pathname(entry.get(), (name + path.substr(base.size())).c_str());
    if (Ar().archive_write_header(out, entry.get()) < ARCHIVE_WARN) {
      return std::unexpected(ArchiveError(out, "writing the cache entry"));
    }
    ++stats.files;
    if (!regular) continue;
    ssize_t n;
    while ((n = Ar().archive_read_data(disk_reader, buf, sizeof buf)) > 0) {
      // The file grew since its header was read.
      if (static_cast<uint64_t>(n) > limits.cache_archive_bytes - stats.bytes) {
        return std::unexpected(OverBytes(limits, "it holds"));
      }
      if (Ar().archive_write_data(out, buf, n) < 0) {
        return std::unexpected(ArchiveError(out, "writing the cache entry"));
      }
      stats.bytes += n;
    }
    if (n < 0) return std::unexpected(ArchiveError(disk_reader, "reading " + path));
  }
  Ar().archive_read_close(disk_reader);
  return {};
}

// libarchive writes the plain tar stream here; zstd compresses it with its own worker threads,
// so reading files (this thread) and compressing (the workers) overlap, as `tar | zstd -T0` does.
class ZstdFileWriter {
 public:
  ZstdFileWriter(const std::string& path, int threads)
      : fd_(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)),
        ctx_(ZSTD_createCCtx()),
        out_(ZSTD_CStreamOutSize()) {
    ZSTD_CCtx_setParameter(ctx_, ZSTD_c_compressionLevel, 3);
    ZSTD_CCtx_setParameter(ctx_, ZSTD_c_nbWorkers, threads);
  }
  ~ZstdFileWriter() {
    ZSTD_freeCCtx(ctx_);
    if (fd_ >= 0) ::close(fd_);
  }
  bool ok() const { return fd_ >= 0 && ok_; }

  // Compresses `data` (mode ZSTD_e_continue) or finishes the frame (ZSTD_e_end).
  bool Push(const void* data, size_t size, ZSTD_EndDirective mode) {
    ZSTD_inBuffer in{data, size, 0};
    bool done = false;
    while (ok_ && !done) {
      ZSTD_outBuffer out{out_.data(), out_.size(), 0};
      const size_t left = ZSTD_compressStream2(ctx_, &out, &in, mode);
      if (ZSTD_isError(left)) return ok_ = false;
      ok_ = WriteAll(out_.data(), out.pos);
      done = mode == ZSTD_e_end ? left == 0 : in.pos == in.size;
    }
    return ok_;
  }

  static la_ssize_t Write(archive*, void* self, const void* data, size_t size) {
    return static_cast<ZstdFileWriter*>(self)->Push(data, size, ZSTD_e_continue)
               ? static_cast<la_ssize_t>(size)
               : -1;
  }

 private:
  bool WriteAll(const char* p, size_t n) {
    while (n > 0) {
      const ssize_t w = ::write(fd_, p, n);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) return false;
      p += w;
      n -= static_cast<size_t>(w);
    }
    return true;
  }

  int fd_;
  ZSTD_CCtx* ctx_;
  std::vector<char> out_;
  bool ok_ = true;
};

// Decides where each entry of an archive being restored goes, refusing a name that is
// absolute, has a ".." component, or would be written through a symlink out of its root
// (util/path_guard.h; libarchive's secure flags stay as a second check). Directories already
// resolved are remembered until a symlink is restored, so the check costs little per entry.
class EntryGuard {
 public:
  struct Place {
    std::filesystem::path root;
    std::string rel;  // below `root`, no trailing '/'
  };

  explicit EntryGuard(const std::vector<ArchiveRoot>& roots) {
    for (const auto& r : roots) by_prefix_[r.prefix] = r.directory;
  }

  // nullopt: a prefix this restore does not use (skipped).
  Result<std::optional<Place>> Check(const char* raw_name) {
    if (raw_name == nullptr) return Fail(ErrorKind::kInfrastructure, "cache entry without a name");
    const std::string name(raw_name);
    auto refuse = [&](const std::string& why) {
      return Fail(ErrorKind::kInfrastructure,
                  "cache entry holds " + QuotePath(name) + ", which " + why + "; restore stopped");
    };
    if (CheckRelativePath(name)) return refuse("leaves its root");
    const auto slash = name.find('/');
    const auto root = by_prefix_.find(name.substr(0, slash));
    if (slash == std::string::npos || root == by_prefix_.end()) return std::nullopt;
    std::string rel = name.substr(slash + 1);
    while (!rel.empty() && rel.back() == '/') rel.pop_back();
    if (rel.empty()) return std::nullopt;
    if (rel.front() == '/') return refuse("is absolute below its prefix");
    if (("/" + rel + "/").find("/../") != std::string::npos) {
      return refuse("has a \"..\" component");
    }
    const std::string dir = root->first + "/" + rel.substr(0, rel.rfind('/') + 1);
    if (!checked_.contains(dir)) {
      std::error_code ec;
      std::filesystem::create_directories(root->second, ec);
      auto dest = ResolveBeneath(root->second, rel, kAllowMissing | kNoFollowLast);
      if (!dest) return refuse("cannot be written there: " + dest.error().message);
      checked_.insert(dir);
    }
    return Place{root->second, rel};
  }

  // A symlink was restored: a directory checked before may be one now.
  void Forget() { checked_.clear(); }

 private:
  std::map<std::string, std::filesystem::path> by_prefix_;
  std::set<std::string> checked_;  // "w/target/debug/": resolved inside its root
};

}  // namespace

Result<ArchiveStats> WriteCacheArchive(const std::filesystem::path& target,
                                       const std::vector<ArchiveRoot>& roots, int threads,
                                       const InputLimits& limits) {
  if (auto api = Archive(); !api) return std::unexpected(api.error());
  std::error_code ec;
  std::filesystem::create_directories(target.parent_path(), ec);
  static std::atomic<uint64_t> counter{0};  // unique per save within this process
  const auto tmp =
      target.string() + ".tmp-" + std::to_string(getpid()) + "-" + std::to_string(++counter);
  ZstdFileWriter file(tmp, threads);
  ArchivePtr out(Ar().archive_write_new(), Ar().archive_write_free);
  Ar().archive_write_set_format_pax_restricted(out.get());
  Ar().archive_write_set_bytes_in_last_block(out.get(), 1);
  if (!file.ok() || Ar().archive_write_open(out.get(), &file, nullptr, &ZstdFileWriter::Write,
                                            nullptr) != ARCHIVE_OK) {
    std::filesystem::remove(tmp, ec);
    return std::unexpected(ArchiveError(out.get(), "creating " + tmp));
  }
  ArchivePtr disk(Ar().archive_read_disk_new(), Ar().archive_read_free);
  Ar().archive_read_disk_set_symlink_physical(disk.get());  // keep links as links
  Ar().archive_read_disk_set_standard_lookup(disk.get());
  ArchiveStats stats;
  for (const auto& root : roots) {
    for (const auto& rel : root.paths) {
      const auto disk_path = root.directory / rel;
      if (!std::filesystem::exists(std::filesystem::symlink_status(disk_path, ec))) continue;
      // The steps ran since the plan was made: a directory on the way may be a symlink now.
      auto inside = ResolveBeneath(root.directory, rel, kNoFollowLast);
      if (!inside && inside.error().fault == PathFault::kOutside) {
        std::filesystem::remove(tmp, ec);
        return Fail(ErrorKind::kInfrastructure,
                    "cache path " + QuotePath(rel) + " is not saved: " + inside.error().message);
      }
      if (!inside) continue;
      auto added =
          AddTree(out.get(), disk.get(), disk_path, root.prefix + "/" + rel, stats, limits);
      if (!added) {
        std::filesystem::remove(tmp, ec);
        return std::unexpected(added.error());
      }
    }
  }
  if (Ar().archive_write_close(out.get()) != ARCHIVE_OK || !file.Push(nullptr, 0, ZSTD_e_end)) {
    std::filesystem::remove(tmp, ec);
    return std::unexpected(ArchiveError(out.get(), "finishing " + tmp));
  }
  std::filesystem::rename(tmp, target, ec);
  if (ec) {
    std::filesystem::remove(tmp, ec);
    return Fail(ErrorKind::kInfrastructure, "cannot store cache entry " + target.string());
  }
  return stats;
}

Result<ArchiveStats> ReadCacheArchive(const std::filesystem::path& source,
                                      const std::vector<ArchiveRoot>& roots,
                                      const InputLimits& limits) {
  if (auto api = Archive(); !api) return std::unexpected(api.error());
  EntryGuard guard(roots);
  ArchivePtr in(Ar().archive_read_new(), Ar().archive_read_free);
  Ar().archive_read_support_filter_zstd(in.get());
  Ar().archive_read_support_format_tar(in.get());
  if (Ar().archive_read_open_filename(in.get(), source.c_str(), 1 << 16) != ARCHIVE_OK) {
    return std::unexpected(ArchiveError(in.get(), "opening cache entry " + source.string()));
  }
  ArchivePtr disk(Ar().archive_write_disk_new(), Ar().archive_write_free);
  // Entry names are rewritten to absolute paths under their root here, so the absolute-path
  // check is ours (EntryGuard); ".." anywhere and writing through a symlink are refused by both.
  Ar().archive_write_disk_set_options(disk.get(), ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_PERM |
                                                      ARCHIVE_EXTRACT_SECURE_SYMLINKS |
                                                      ARCHIVE_EXTRACT_SECURE_NODOTDOT);
  ArchiveStats stats;
  archive_entry* entry = nullptr;
  char buf[1 << 16];
  uint64_t headers = 0;  // skipped entries cost reading too
  int r;
  while ((r = Ar().archive_read_next_header(in.get(), &entry)) == ARCHIVE_OK) {
    if (++headers > limits.cache_entries) {
      return std::unexpected(OverEntries(limits, "cache entry holds", "; restore stopped"));
    }
    auto checked = guard.Check(Ar().archive_entry_pathname(entry));
    if (!checked) return std::unexpected(checked.error());
    const std::optional<EntryGuard::Place>& place = *checked;
    if (!place) continue;  // not ours: skip
    const std::string rel = place->rel;
    // Only files, directories and symlinks come back: a device node, fifo or socket in a cache
    // entry is not a build's output, and a set-uid or set-gid bit is not restored.
    const auto type = Ar().archive_entry_filetype(entry);
    if (type != AE_IFREG && type != AE_IFDIR && type != AE_IFLNK) continue;
    Ar().archive_entry_set_perm(entry, Ar().archive_entry_perm(entry) & 0777);
    Ar().archive_entry_copy_pathname(entry, (place->root / rel).c_str());
    if (const char* link = Ar().archive_entry_hardlink(entry)) {
      auto checked_target = guard.Check(link);
      if (!checked_target) return std::unexpected(checked_target.error());
      const std::optional<EntryGuard::Place>& target = *checked_target;
      if (!target || target->root != place->root) continue;
      Ar().archive_entry_copy_hardlink(entry, (target->root / target->rel).c_str());
    }
    if (Ar().archive_entry_filetype(entry) == AE_IFLNK) guard.Forget();
    if (Ar().archive_entry_size_is_set(entry) &&
        static_cast<uint64_t>(std::max<la_int64_t>(Ar().archive_entry_size(entry), 0)) >
            limits.cache_archive_bytes - stats.bytes) {
      return std::unexpected(OverBytes(limits, "cache entry holds", "; restore stopped"));
    }
    if (Ar().archive_write_header(disk.get(), entry) < ARCHIVE_WARN) {
      return std::unexpected(ArchiveError(disk.get(), "restoring " + rel));
    }
    ++stats.files;
    ssize_t n;
    while ((n = Ar().archive_read_data(in.get(), buf, sizeof buf)) > 0) {
      if (static_cast<uint64_t>(n) > limits.cache_archive_bytes - stats.bytes) {
        return std::unexpected(OverBytes(limits, "cache entry holds", "; restore stopped"));
      }
      if (Ar().archive_write_data(disk.get(), buf, n) < 0) {
        return std::unexpected(ArchiveError(disk.get(), "restoring " + rel));
      }
      stats.bytes += n;
    }
    if (n < 0)
      return std::unexpected(ArchiveError(in.get(), "reading cache entry " + source.string()));
    Ar().archive_write_finish_entry(disk.get());
  }
  if (r != ARCHIVE_EOF) {
    return std::unexpected(ArchiveError(in.get(), "reading cache entry " + source.string()));
  }
  Ar().archive_write_close(disk.get());
  return stats;
}

}  // namespace raibid
