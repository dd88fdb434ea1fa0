#include "registry/auth_challenge.h"

#include <algorithm>
#include <cctype>

#include "util/text.h"

namespace raibid {
namespace {

bool IsTokenChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) ||
         std::string_view("!#$%&'*+-.^_`|~/:=").find(c) != std::string_view::npos;
}

// A cursor over the header text.
class Scanner {
 public:
  explicit Scanner(std::string_view text) : text_(text) {}

  void SkipSpaceAndCommas() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == ','))
      ++pos_;
  }
  void SkipSpace() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t')) ++pos_;
  }
  bool done() const { return pos_ >= text_.size(); }
  char peek() const { return done() ? '\0' : text_[pos_]; }
  void advance() { ++pos_; }
  size_t pos() const { return pos_; }
  void set_pos(size_t p) { pos_ = p; }

  // A token without '=' (a scheme or a parameter name).
  std::string Name() {
    const size_t start = pos_;
    while (!done() && IsTokenChar(peek()) && peek() != '=') ++pos_;
    return std::string(text_.substr(start, pos_ - start));
  }
  // A quoted string (escapes undone) or a token (which may contain '=', as base64 does).
  std::string Value() {
    if (peek() != '"') {
      const size_t start = pos_;
      while (!done() && IsTokenChar(peek())) ++pos_;
      return std::string(text_.substr(start, pos_ - start));
    }
    advance();
    std::string out;
    while (!done() && peek() != '"') {
      if (peek() == '\\' && pos_ + 1 < text_.size()) advance();
      out += peek();
      advance();
    }
    if (!done()) advance();  // closing quote
    return out;
  }

 private:
  std::string_view text_;
  size_t pos_ = 0;
};

// Reads "name=value" at the cursor; false (cursor restored) when the next word is a scheme.
bool ReadParam(Scanner& s, AuthChallenge& into) {
  const size_t start = s.pos();
  std::string name = s.Name();
  s.SkipSpace();
  if (name.empty() || s.peek() != '=') {
    s.set_pos(start);
    return false;
  }
  s.advance();
  s.SkipSpace();
  into.params[Lower(name)] = s.Value();
  return true;
}

}  // namespace

std::vector<AuthChallenge> ParseAuthChallenges(std::string_view header) {
  std::vector<AuthChallenge> out;
  Scanner s(header);
  while (true) {
    s.SkipSpaceAndCommas();
    if (s.done()) break;
    AuthChallenge c;
    c.scheme = Lower(s.Name());
    if (c.scheme.empty()) break;  // garbage: stop rather than guess
    while (true) {
      s.SkipSpaceAndCommas();
      if (s.done() || !ReadParam(s, c)) break;
    }
    out.push_back(std::move(c));
  }
  return out;
}

std::optional<AuthChallenge> PickChallenge(const std::vector<std::string>& headers) {
  std::optional<AuthChallenge> basic;
  for (const auto& h : headers) {
    for (auto& c : ParseAuthChallenges(h)) {
      if (c.scheme == "bearer") return c;
      if (c.scheme == "basic" && !basic) basic = std::move(c);
    }
  }
  return basic;
}

}  // namespace raibid
