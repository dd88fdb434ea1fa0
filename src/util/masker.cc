#include "util/masker.h"

#include <algorithm>

#include "util/secret_encodings.h"

namespace raibid {

Masker::Masker(const Masker& other) {
  MutexLock lock(&other.mu_);
  secrets_ = other.secrets_;
  patterns_ = other.patterns_;
}

Masker& Masker::operator=(const Masker& other) {
  if (this == &other) return *this;
  // One lock at a time (the other's, then this one's): nothing to order between two maskers.
  std::vector<std::string> secrets;
  std::shared_ptr<const PatternSet> patterns;
  {
    MutexLock lock(&other.mu_);
    secrets = other.secrets_;
    patterns = other.patterns_;
  }
  MutexLock lock(&mu_);
  secrets_ = std::move(secrets);
  patterns_ = std::move(patterns);
  return *this;
}

std::shared_ptr<const PatternSet> Masker::Patterns() const {
  MutexLock lock(&mu_);
  return patterns_;
}

size_t Masker::longest() const {
  auto patterns = Patterns();
  return patterns ? patterns->longest() : 0;
}

void Masker::Add(std::string_view secret) {
  while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r')) {
    secret.remove_suffix(1);
  }
  if (secret.size() < 4) return;
  // Adds are rare (start-up, a new token); serialising them keeps the secret list and the set
  // in step. The set is built outside the reader's way: Apply only copies the pointer.
  MutexLock add_lock(&add_mu_);
  std::vector<std::string> secrets;
  {
    MutexLock lock(&mu_);
    if (std::find(secrets_.begin(), secrets_.end(), secret) != secrets_.end()) return;
    secrets = secrets_;
  }
  secrets.emplace_back(secret);
  std::vector<std::string> forms;
  for (const auto& s : secrets) {
    forms.push_back(s);
    for (auto& encoded : EncodedForms(s)) forms.push_back(std::move(encoded));
  }
  // A new set rather than a change: copies of this masker and scans in progress keep the old one.
  auto patterns = std::make_shared<const PatternSet>(forms);
  MutexLock lock(&mu_);
  secrets_ = std::move(secrets);
  patterns_ = std::move(patterns);
}

std::string Masker::Apply(std::string_view text) const {
  const auto patterns = Patterns();
  if (!patterns) return std::string(text);
  std::vector<Span> cover;
  patterns->Scan(PatternSet::kStart, text, 0, cover);
  if (cover.empty()) return std::string(text);
  std::string out;
  out.reserve(text.size());
  bool in_mask = false;
  Render(text, 0, text.size(), cover, &in_mask, out);
  return out;
}

void Masker::Render(std::string_view text, uint64_t text_base, uint64_t to,
                    std::vector<Span>& cover, bool* in_mask, std::string& out) {
  uint64_t pos = text_base;
  size_t done = 0;  // spans of `cover` rendered completely
  for (; done < cover.size() && cover[done].begin < to; ++done) {
    const Span& span = cover[done];
    if (span.begin > pos) {
      out.append(text.substr(pos - text_base, span.begin - pos));
      *in_mask = false;
    }
    if (!*in_mask) out.append(kMasked);
    *in_mask = true;
    pos = std::max(pos, std::min(span.end, to));
    if (span.end > to) break;  // continues past `to`: rendered again by the next call
  }
  cover.erase(cover.begin(), cover.begin() + static_cast<ptrdiff_t>(done));
  if (pos < to) {
    out.append(text.substr(pos - text_base, to - pos));
    *in_mask = false;
  }
}

}  // namespace raibid
