// Replaces every known secret in a text with "[MASKED]": its own bytes and its common encodings
// (percent-encoded and base64, see secret_encodings.h). Each maximal run of bytes covered by
// occurrences of any of them becomes one "[MASKED]", so overlapping or adjacent secrets never
// leave a piece of either visible. Secrets are registered once when a job (or the agent) starts;
// Add is not thread-safe, but Apply is (the patterns are immutable and shared by copies).
// Apply scans the text once, whatever the number of secrets (time linear in the text).
//
// For output that arrives in pieces, use MaskingStream (masking_stream.h): masking each piece on
// its own misses a secret split across two of them.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "util/pattern_set.h"

namespace raibid {

inline constexpr std::string_view kMasked = "[MASKED]";

class Masker {
 public:
  // Trailing newlines are dropped first. Values shorter than 4 characters are ignored: masking
  // them would garble ordinary output. Builds the search for all forms of all secrets now, so
  // Apply does no per-secret work.
  void Add(std::string_view secret);
  std::string Apply(std::string_view text) const;
  bool empty() const { return secrets_.empty() || !patterns_; }
  // The longest form of any secret, in bytes (0 when empty).
  size_t longest() const { return empty() ? 0 : patterns_->longest(); }

 private:
  friend class MaskingStream;

  // Appends text[.., to) to `out` (`text` starting at stream offset `text_base`) with the parts
  // inside `cover` (stream offsets, sorted, disjoint) replaced by kMasked. `*in_mask` says
  // whether the byte before `text` was masked, so a span continuing it adds no second marker,
  // and is updated. Spans that end at or before `to` are removed from `cover`.
  static void Render(std::string_view text, uint64_t text_base, uint64_t to,
                     std::vector<Span>& cover, bool* in_mask, std::string& out);

  std::vector<std::string> secrets_;  // as added
  std::shared_ptr<const PatternSet> patterns_ = std::make_shared<const PatternSet>();
};

}  // namespace raibid
