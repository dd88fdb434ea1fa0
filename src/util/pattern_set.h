// A fixed set of byte strings found together in one pass over a text (Aho-Corasick), for the
// masker: the time to scan is linear in the text whatever the number of patterns. The scan is
// resumable, so a stream can be fed piece by piece and still find an occurrence that straddles
// two pieces; the state also says how many of the last bytes could still begin an occurrence.
// Built once; every const method is safe to call from several threads.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace raibid {

// [begin, end) in the offsets a scan was given.
struct Span {
  uint64_t begin = 0;
  uint64_t end = 0;
  bool operator==(const Span&) const = default;
};

class PatternSet {
 public:
  using State = uint32_t;
  static constexpr State kStart = 0;

  PatternSet() : PatternSet(std::vector<std::string>{}) {}
  // Empty patterns are ignored; duplicates are harmless.
  explicit PatternSet(const std::vector<std::string>& patterns);

  bool empty() const { return longest_ == 0; }
  size_t longest() const { return longest_; }

  // Scans `text` from `state` (kStart, or what the previous scan of the same stream returned)
  // and returns the state after it. Every occurrence ending in `text` is added to `cover` as a
  // span of stream offsets, `base` being the offset of text[0]; an occurrence may begin before
  // `text` when the state carried its beginning. Spans that overlap or touch the last one in
  // `cover` are merged with it, so `cover` stays sorted and disjoint.
  State Scan(State state, std::string_view text, uint64_t base, std::vector<Span>& cover) const;

  // How many of the last bytes scanned into `state` are a proper beginning of some pattern:
  // the bytes a stream must keep back because later input may complete an occurrence.
  size_t OpenLength(State state) const { return nodes_[state].open; }

 private:
  struct Node {
    uint32_t fail = 0;        // the longest proper suffix that is also a trie node
    uint32_t match = 0;       // length of the longest pattern ending here (0: none)
    uint32_t open = 0;        // length of the longest suffix that has children
    uint32_t first_edge = 0;  // children: edges_[first_edge, first_edge + edge_count)
    uint32_t edge_count = 0;
  };
  struct Edge {
    uint8_t byte;
    uint32_t target;
  };
  State Next(State state, uint8_t byte) const;

  std::vector<Node> nodes_;
  std::vector<Edge> edges_;             // sorted by byte within each node
  std::array<State, 256> root_next_{};  // the start state's transitions, all of them
  size_t longest_ = 0;
};

// Appends [begin, end) to `cover`, merging it with the spans at the back it overlaps or touches.
void AddSpan(std::vector<Span>& cover, Span span);

}  // namespace raibid
