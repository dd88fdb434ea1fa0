#include "cache/cache_archive.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <unistd.h>
#include <zstd.h>

#include <atomic>
#include <map>
#include <memory>

namespace raibid {
namespace {

using ArchivePtr = std::unique_ptr<archive, int (*)(archive*)>;
using EntryPtr = std::unique_ptr<archive_entry, void (*)(archive_entry*)>;

Error ArchiveError(archive* a, const std::string& what) {
  const char* text = a ? archive_error_string(a) : nullptr;
  return Error{ErrorKind::kInfrastructure, what + ": " + (text ? text : "unknown error"), false};
}

// Adds the tree at `disk` to `out` under the name `name`.
Status AddTree(archive* out, archive* disk_reader, const std::filesystem::path& disk,
               const std::string& name, ArchiveStats& stats) {
  if (archive_read_disk_open(disk_reader, disk.c_str()) != ARCHIVE_OK) {
    return std::unexpected(ArchiveError(disk_reader, "reading " + disk.string()));
  }
  const std::string base = disk.string();
  char buf[1 << 16];
  while (true) {
    EntryPtr entry(archive_entry_new(), archive_entry_free);
    int r = archive_read_next_header2(disk_reader, entry.get());
    if (r == ARCHIVE_EOF) break;
    if (r < ARCHIVE_WARN) return std::unexpected(ArchiveError(disk_reader, "reading " + base));
    archive_read_disk_descend(disk_reader);
    const std::string path = archive_entry_pathname(entry.get());
    archive_entry_copy_pathname(entry.get(), (name + path.substr(base.size())).c_str());
    if (archive_write_header(out, entry.get()) < ARCHIVE_WARN) {
      return std::unexpected(ArchiveError(out, "writing the cache entry"));
    }
    ++stats.files;
    if (archive_entry_filetype(entry.get()) != AE_IFREG) continue;
    ssize_t n;
    while ((n = archive_read_data(disk_reader, buf, sizeof buf)) > 0) {
      if (archive_write_data(out, buf, n) < 0) {
        return std::unexpected(ArchiveError(out, "writing the cache entry"));
      }
      stats.bytes += n;
    }
    if (n < 0) return std::unexpected(ArchiveError(disk_reader, "reading " + path));
  }
  archive_read_close(disk_reader);
  return {};
}

// libarchive writes the plain tar stream here; zstd compresses it with its own worker threads,
// so reading files (this thread) and compressing (the workers) overlap, as `tar | zstd -T0` does.
class ZstdFileWriter {
 public:
  ZstdFileWriter(const std::string& path, int threads)
      : fd_(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)),
        ctx_(ZSTD_createCCtx()), out_(ZSTD_CStreamOutSize()) {
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
               ? static_cast<la_ssize_t>(size) : -1;
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

}  // namespace

Result<ArchiveStats> WriteCacheArchive(const std::filesystem::path& target,
                                       const std::vector<ArchiveRoot>& roots, int threads) {
  std::error_code ec;
  std::filesystem::create_directories(target.parent_path(), ec);
  static std::atomic<uint64_t> counter{0};  // unique per save within this process
  const auto tmp = target.string() + ".tmp-" + std::to_string(getpid()) + "-" +
                   std::to_string(++counter);
  ZstdFileWriter file(tmp, threads);
  ArchivePtr out(archive_write_new(), archive_write_free);
  archive_write_set_format_pax_restricted(out.get());
  archive_write_set_bytes_in_last_block(out.get(), 1);
  if (!file.ok() ||
      archive_write_open(out.get(), &file, nullptr, &ZstdFileWriter::Write, nullptr) != ARCHIVE_OK) {
    std::filesystem::remove(tmp, ec);
    return std::unexpected(ArchiveError(out.get(), "creating " + tmp));
  }
  ArchivePtr disk(archive_read_disk_new(), archive_read_free);
  archive_read_disk_set_symlink_physical(disk.get());  // keep links as links
  archive_read_disk_set_standard_lookup(disk.get());
  ArchiveStats stats;
  for (const auto& root : roots) {
    for (const auto& rel : root.paths) {
      const auto disk_path = root.directory / rel;
      if (!std::filesystem::exists(std::filesystem::symlink_status(disk_path, ec))) continue;
      auto added = AddTree(out.get(), disk.get(), disk_path, root.prefix + "/" + rel, stats);
      if (!added) {
        std::filesystem::remove(tmp, ec);
        return std::unexpected(added.error());
      }
    }
  }
  if (archive_write_close(out.get()) != ARCHIVE_OK || !file.Push(nullptr, 0, ZSTD_e_end)) {
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
                                      const std::vector<ArchiveRoot>& roots) {
  std::map<std::string, std::filesystem::path> by_prefix;
  for (const auto& r : roots) by_prefix[r.prefix] = r.directory;
  ArchivePtr in(archive_read_new(), archive_read_free);
  archive_read_support_filter_zstd(in.get());
  archive_read_support_format_tar(in.get());
  if (archive_read_open_filename(in.get(), source.c_str(), 1 << 16) != ARCHIVE_OK) {
    return std::unexpected(ArchiveError(in.get(), "opening cache entry " + source.string()));
  }
  ArchivePtr disk(archive_write_disk_new(), archive_write_free);
  // Entry names are rewritten to absolute paths under their root here, so the absolute-path
  // check is ours (the prefix mapping); ".." anywhere and writing through a symlink are refused.
  archive_write_disk_set_options(disk.get(), ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_PERM |
                                                 ARCHIVE_EXTRACT_SECURE_SYMLINKS |
                                                 ARCHIVE_EXTRACT_SECURE_NODOTDOT);
  ArchiveStats stats;
  archive_entry* entry = nullptr;
  char buf[1 << 16];
  int r;
  while ((r = archive_read_next_header(in.get(), &entry)) == ARCHIVE_OK) {
    const std::string name = archive_entry_pathname(entry);
    const auto slash = name.find('/');
    auto root = by_prefix.find(name.substr(0, slash));
    if (slash == std::string::npos || root == by_prefix.end()) continue;  // not ours: skip
    const std::string rel = name.substr(slash + 1);
    if (rel.empty() || rel.front() == '/') continue;
    archive_entry_copy_pathname(entry, (root->second / rel).c_str());
    if (const char* link = archive_entry_hardlink(entry)) {
      const std::string target(link);
      const auto s = target.find('/');
      if (s == std::string::npos || target.substr(0, s) != root->first) continue;
      archive_entry_copy_hardlink(entry, (root->second / target.substr(s + 1)).c_str());
    }
    if (archive_write_header(disk.get(), entry) < ARCHIVE_WARN) {
      return std::unexpected(ArchiveError(disk.get(), "restoring " + rel));
    }
    ++stats.files;
    ssize_t n;
    while ((n = archive_read_data(in.get(), buf, sizeof buf)) > 0) {
      if (archive_write_data(disk.get(), buf, n) < 0) {
        return std::unexpected(ArchiveError(disk.get(), "restoring " + rel));
      }
      stats.bytes += n;
    }
    if (n < 0) return std::unexpected(ArchiveError(in.get(), "reading cache entry " + source.string()));
    archive_write_finish_entry(disk.get());
  }
  if (r != ARCHIVE_EOF) {
    return std::unexpected(ArchiveError(in.get(), "reading cache entry " + source.string()));
  }
  archive_write_close(disk.get());
  return stats;
}

}  // namespace raibid
