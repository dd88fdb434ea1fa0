// libarchive's functions, resolved from libarchive.so.13 on first use: an agent whose jobs never
// save or restore a cache never maps libarchive or what it pulls in (libxml2 and ICU, liblzma,
// libbz2, liblz4, nettle...).
#pragma once

#include <archive.h>
#include <archive_entry.h>

#include <optional>
#include <string>

#include "util/error.h"
#include "util/shared_library.h"

namespace raibid {

#define RAIBID_ARCHIVE_FUNCTIONS(X)         \
  X(archive_entry_copy_hardlink)            \
  X(archive_entry_copy_pathname)            \
  X(archive_entry_filetype)                 \
  X(archive_entry_free)                     \
  X(archive_entry_hardlink)                 \
  X(archive_entry_new)                      \
  X(archive_entry_pathname)                 \
  X(archive_entry_perm)                     \
  X(archive_entry_set_perm)                 \
  X(archive_entry_size)                     \
  X(archive_entry_size_is_set)              \
  X(archive_error_string)                   \
  X(archive_read_close)                     \
  X(archive_read_data)                      \
  X(archive_read_disk_descend)              \
  X(archive_read_disk_new)                  \
  X(archive_read_disk_open)                 \
  X(archive_read_disk_set_standard_lookup)  \
  X(archive_read_disk_set_symlink_physical) \
  X(archive_read_free)                      \
  X(archive_read_new)                       \
  X(archive_read_next_header)               \
  X(archive_read_next_header2)              \
  X(archive_read_open_filename)             \
  X(archive_read_support_filter_zstd)       \
  X(archive_read_support_format_tar)        \
  X(archive_write_close)                    \
  X(archive_write_data)                     \
  X(archive_write_disk_new)                 \
  X(archive_write_disk_set_options)         \
  X(archive_write_finish_entry)             \
  X(archive_write_free)                     \
  X(archive_write_header)                   \
  X(archive_write_new)                      \
  X(archive_write_open)                     \
  X(archive_write_set_bytes_in_last_block)  \
  X(archive_write_set_format_pax_restricted)

// One pointer per function, named and typed as in <archive.h> and <archive_entry.h>.
struct ArchiveApi {
#define RAIBID_ARCHIVE_SLOT(name) decltype(&::name) name = nullptr;
  RAIBID_ARCHIVE_FUNCTIONS(RAIBID_ARCHIVE_SLOT)
#undef RAIBID_ARCHIVE_SLOT
  std::optional<SharedLibrary> library;

  // Opens `soname` and resolves every function. For tests; the agent uses Archive().
  static Result<ArchiveApi> Load(const std::string& soname);
};

// The process's libarchive: loaded on the first call (thread-safe), the same table or the same
// error on every later one.
Result<const ArchiveApi*> Archive();

}  // namespace raibid
