// Replaces every known secret in a text with "[MASKED]": its own bytes and its common encodings
// (percent-encoded and base64, see secret_encodings.h). Each maximal run of bytes covered by
// occurrences of any of them becomes one "[MASKED]", so overlapping or adjacent secrets never
// leave a piece of either visible. Most secrets are registered when the agent starts; a job's
// masker (a copy) also learns what the job obtains on the way (bearer tokens of the registry),
// so Add and Apply are both thread-safe: Add swaps in a new immutable pattern set, and Apply scans
// the set it found. A copy is a snapshot: secrets added to it later do not reach the original.
// Apply scans the text once, whatever the number of secrets (time linear in the text).
//
// For output that arrives in pieces, use MaskingStream (masking_stream.h): masking each piece on
// its own misses a secret split across two of them.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "util/mutex.h"
#include "util/pattern_set.h"

namespace raibid {

inline constexpr std::string_view kMasked = "[MASKED]";

class Masker {
 public:
  Masker() = default;
  Masker(const Masker& other);
  Masker& operator=(const Masker& other);
  // Trailing newlines are dropped first. Values shorter than 4 characters are ignored: masking
  // them would garble ordinary output. Builds the search for all forms of all secrets now, so
  // Apply does no per-secret work.
  void Add(std::string_view secret) EXCLUDES(add_mu_, mu_);
  std::string Apply(std::string_view text) const;
  bool empty() const { return Patterns() == nullptr; }
  // The longest form of any secret, in bytes (0 when empty).
  size_t longest() const;

 private:
  friend class MaskingStream;

  // Appends text[.., to) to `out` (`text` starting at stream offset `text_base`) with the parts
  // inside `cover` (stream offsets, sorted, disjoint) replaced by kMasked. `*in_mask` says
  // whether the byte before `text` was masked, so a span continuing it adds no second marker,
  // and is updated. Spans that end at or before `to` are removed from `cover`.
  static void Render(std::string_view text, uint64_t text_base, uint64_t to,
                     std::vector<Span>& cover, bool* in_mask, std::string& out);

  // The current pattern set; null while no secret was added.
  std::shared_ptr<const PatternSet> Patterns() const EXCLUDES(mu_);

  Mutex add_mu_ ACQUIRED_BEFORE(mu_);  // one Add at a time
  mutable Mutex mu_;
  std::vector<std::string> secrets_ GUARDED_BY(mu_);  // as added
  std::shared_ptr<const PatternSet> patterns_ GUARDED_BY(mu_);
};

}  // namespace raibid
