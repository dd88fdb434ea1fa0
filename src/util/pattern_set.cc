#include "util/pattern_set.h"

#include <algorithm>
#include <deque>
#include <map>

namespace raibid {
namespace {

// The trie while it is built: children in maps, flattened into PatternSet's arrays at the end.
struct Trie {
  std::vector<std::map<uint8_t, uint32_t>> children{1};
  std::vector<uint32_t> depth{0};
  std::vector<bool> terminal{false};

  void Insert(std::string_view pattern) {
    uint32_t node = 0;
    for (const char c : pattern) {
      const auto byte = static_cast<uint8_t>(c);
      auto it = children[node].find(byte);
      if (it == children[node].end()) {
        it = children[node].emplace(byte, static_cast<uint32_t>(children.size())).first;
        children.emplace_back();
        depth.push_back(depth[node] + 1);
        terminal.push_back(false);
      }
      node = it->second;
    }
    terminal[node] = true;
  }

  // The node reached from `node` by `byte`, or 0 when there is no such child.
  uint32_t Child(uint32_t node, uint8_t byte) const {
    const auto it = children[node].find(byte);
    return it == children[node].end() ? 0 : it->second;
  }
};

}  // namespace

void AddSpan(std::vector<Span>& cover, Span span) {
  while (!cover.empty() && cover.back().end >= span.begin) {
    span.begin = std::min(span.begin, cover.back().begin);
    span.end = std::max(span.end, cover.back().end);
    cover.pop_back();
  }
  cover.push_back(span);
}

PatternSet::PatternSet(const std::vector<std::string>& patterns) {
  Trie trie;
  for (const auto& p : patterns) {
    if (p.empty()) continue;
    trie.Insert(p);
    longest_ = std::max(longest_, p.size());
  }
  nodes_.resize(trie.children.size());
  // Breadth first, so a node's fail target (always shallower) is complete before the node.
  std::deque<uint32_t> queue;
  for (const auto& [byte, child] : trie.children[0]) queue.push_back(child);
  while (!queue.empty()) {
    const uint32_t u = queue.front();
    queue.pop_front();
    Node& node = nodes_[u];
    node.match = trie.terminal[u] ? trie.depth[u] : nodes_[node.fail].match;
    node.open = trie.children[u].empty() ? nodes_[node.fail].open : trie.depth[u];
    for (const auto& [byte, child] : trie.children[u]) {
      uint32_t f = node.fail;
      while (f != 0 && trie.Child(f, byte) == 0) f = nodes_[f].fail;
      nodes_[child].fail = trie.Child(f, byte);
      queue.push_back(child);
    }
  }
  for (uint32_t u = 0; u < nodes_.size(); ++u) {
    nodes_[u].first_edge = static_cast<uint32_t>(edges_.size());
    nodes_[u].edge_count = static_cast<uint32_t>(trie.children[u].size());
    for (const auto& [byte, child] : trie.children[u]) edges_.push_back({byte, child});
  }
  for (int b = 0; b < 256; ++b) root_next_[b] = trie.Child(0, static_cast<uint8_t>(b));
}

PatternSet::State PatternSet::Next(State state, uint8_t byte) const {
  while (state != kStart) {
    const Node& node = nodes_[state];
    const auto first = edges_.begin() + node.first_edge;
    const auto last = first + node.edge_count;
    const auto it =
        std::lower_bound(first, last, byte, [](const Edge& e, uint8_t b) { return e.byte < b; });
    if (it != last && it->byte == byte) return it->target;
    state = node.fail;
  }
  return root_next_[byte];
}

PatternSet::State PatternSet::Scan(State state, std::string_view text, uint64_t base,
                                   std::vector<Span>& cover) const {
  if (empty()) return kStart;
  const auto* bytes = reinterpret_cast<const uint8_t*>(text.data());
  for (size_t i = 0; i < text.size(); ++i) {
    if (state == kStart) {
      // Most of a text is outside any occurrence: stay in this tight loop until one may begin.
      while (i < text.size() && root_next_[bytes[i]] == kStart) ++i;
      if (i == text.size()) break;
      state = root_next_[bytes[i]];
    } else {
      state = Next(state, bytes[i]);
    }
    // The longest occurrence ending here contains every shorter one that does.
    if (const uint32_t len = nodes_[state].match; len != 0) {
      const uint64_t end = base + i + 1;
      AddSpan(cover, {end - len, end});
    }
  }
  return state;
}

}  // namespace raibid
