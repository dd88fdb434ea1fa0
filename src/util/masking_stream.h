// Masks one stream of output that arrives in pieces (one pipe of one step), so that a secret
// split across two or more pieces is masked as if the stream had come in one piece: the
// concatenation of everything Feed and Finish return equals Masker::Apply of the concatenated
// input, byte for byte.
//
// Feed keeps back the end of the input that could still become (part of) a secret or an encoded
// secret: the longest suffix that is a proper beginning of one of them, so never more than the
// longest form's length minus one byte. Output with no such suffix (a chunk ending in a newline,
// unless a secret starts with one) is returned whole at once. Finish returns what is kept back,
// masked: call it when the stream ends or must be shown now (end of a step, a flush).
//
// The stream copies the masker's patterns when constructed (secrets added later are not seen),
// so it does not depend on the masker's lifetime. Not thread-safe: one stream, one writer.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "util/masker.h"

namespace raibid {

class MaskingStream {
 public:
  explicit MaskingStream(const Masker& masker);

  // The masked output that is now safe to show.
  std::string Feed(std::string_view chunk);
  // The bytes kept back, masked; the stream then starts afresh.
  std::string Finish();
  // Drops the bytes kept back without showing them (output cut off at a limit: the rest of a
  // secret will never come, and the part held may be a piece of one); starts afresh.
  void Discard();
  // How many input bytes are kept back.
  size_t held() const { return held_.size(); }

 private:
  std::shared_ptr<const PatternSet> patterns_;  // null: no secrets, nothing is kept back
  PatternSet::State state_ = PatternSet::kStart;
  std::string held_;  // input from stream offset held_base_ on, not yet returned
  uint64_t held_base_ = 0;
  std::vector<Span> cover_;  // occurrences found that reach into held_
  bool in_mask_ = false;     // the last byte returned was masked
};

}  // namespace raibid
