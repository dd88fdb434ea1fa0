// The cache archive reader: a cache entry is bytes on disk (or from the remote cache tier), so
// it is restored here from the fuzzer's bytes into two roots. Besides memory errors, the check is
// that nothing lands outside the roots: they sit three levels down in a scratch directory, and
// after the restore that directory must hold nothing but the roots, the archive and a canary file,
// and neither the archive nor the canary may have gained a hard link or changed.
#include <sys/resource.h>

#include <csignal>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "cache/cache_archive.h"
#include "fuzz_check.h"

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kCanary = "canary\n";

struct Scratch {
  fs::path base, inner, archive, canary, work, home;

  Scratch() {
    std::string tmpl = (fs::temp_directory_path() / "raibid-fuzz-cache-XXXXXX").string();
    FUZZ_CHECK(mkdtemp(tmpl.data()) != nullptr, "mkdtemp");
    base = tmpl;
    inner = base / "a" / "b" / "c";
    archive = base / "entry.tar.zst";
    canary = base / "a" / "b" / "canary";
    work = inner / "workspace";
    home = inner / "home";
  }
  ~Scratch() {
    std::error_code ec;
    fs::remove_all(base, ec);
  }
};

Scratch& TheScratch() {
  static Scratch* s = [] {
    // A decompressed entry is bounded per file, so one input cannot fill the disk: a write past
    // the limit fails (EFBIG) instead of raising SIGXFSZ.
    std::signal(SIGXFSZ, SIG_IGN);
    rlimit lim{64 << 20, 64 << 20};
    setrlimit(RLIMIT_FSIZE, &lim);
    auto* scratch = new Scratch;
    std::atexit([] { delete &TheScratch(); });
    return scratch;
  }();
  return *s;
}

// False, with the first stray path, when anything but the allowed paths is under the scratch.
bool OnlyAllowed(const Scratch& s, std::string* stray) {
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(s.base, fs::directory_options::none, ec);
       it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) break;
    const fs::path p = it->path();
    if (p == s.archive || p == s.canary || p == s.base / "a" || p == s.base / "a" / "b" ||
        p == s.inner) {
      continue;
    }
    if (p == s.work || p == s.home) {
      it.disable_recursion_pending();
      continue;
    }
    *stray = p.string();
    return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Scratch& s = TheScratch();
  std::error_code ec;
  fs::remove_all(s.base / "a", ec);
  fs::create_directories(s.work, ec);
  fs::create_directories(s.home, ec);
  std::ofstream(s.canary) << kCanary;
  {
    std::ofstream out(s.archive, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  const std::vector<raibid::ArchiveRoot> roots = {
      {.prefix = "w", .directory = s.work, .paths = {}},
      {.prefix = "h", .directory = s.home, .paths = {}},
  };
  (void)raibid::ReadCacheArchive(s.archive, roots);
  std::string stray;
  if (!OnlyAllowed(s, &stray)) {
    std::fprintf(stderr, "restored outside the roots: %s\n", stray.c_str());
    FUZZ_CHECK(false, "a cache archive wrote outside its roots");
  }
  FUZZ_CHECK(fs::hard_link_count(s.archive, ec) == 1, "a hard link to the archive was made");
  FUZZ_CHECK(fs::hard_link_count(s.canary, ec) == 1, "a hard link to the canary was made");
  std::ifstream in(s.canary);
  std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  FUZZ_CHECK(content == kCanary, "the canary outside the roots was changed");
  return 0;
}
