#include "util/masking_stream.h"

namespace raibid {

MaskingStream::MaskingStream(const Masker& masker) : patterns_(masker.Patterns()) {}

std::string MaskingStream::Feed(std::string_view chunk) {
  if (!patterns_) return std::string(chunk);
  state_ = patterns_->Scan(state_, chunk, held_base_ + held_.size(), cover_);
  held_.append(chunk);
  // Bytes before the open suffix can no longer be part of an occurrence not yet found: one
  // that started there and is still incomplete would make that suffix longer.
  const uint64_t end = held_base_ + held_.size();
  const uint64_t safe = end - patterns_->OpenLength(state_);
  std::string out;
  if (safe == held_base_) return out;
  out.reserve(safe - held_base_);
  Masker::Render(held_, held_base_, safe, cover_, &in_mask_, out);
  held_.erase(0, safe - held_base_);
  held_base_ = safe;
  return out;
}

std::string MaskingStream::Finish() {
  std::string out;
  if (!held_.empty()) {
    Masker::Render(held_, held_base_, held_base_ + held_.size(), cover_, &in_mask_, out);
  }
  Discard();
  return out;
}

void MaskingStream::Discard() {
  state_ = PatternSet::kStart;
  held_.clear();
  held_base_ = 0;
  cover_.clear();
  in_mask_ = false;
}

}  // namespace raibid
