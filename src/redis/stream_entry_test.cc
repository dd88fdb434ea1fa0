#include "redis/stream_entry.h"

#include <gtest/gtest.h>

namespace raibid {
namespace {

RedisValue S(std::string text) { return RedisValue::Text(RedisValue::Type::kString, text); }

// [id, [field, value, ...]]
RedisValue Entry(std::string id, std::vector<std::string> kv) {
  std::vector<RedisValue> fields;
  for (auto& s : kv) fields.push_back(S(std::move(s)));
  return RedisValue::Array({S(std::move(id)), RedisValue::Array(std::move(fields))});
}

TEST(ParseEntries, KeepsIdsAndFieldsInStreamOrder) {
  auto entries = ParseEntries(RedisValue::Array(
      {Entry("1-0", {"step", "build", "data", "a"}), Entry("2-0", {"data", "b", "data", "c"})}));
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].id, "1-0");
  EXPECT_EQ(entries[0].Field("step"), "build");
  EXPECT_EQ(entries[1].Field("data"), "b");  // the first of two
  EXPECT_EQ(entries[1].fields.size(), 2u);
  EXPECT_EQ(entries[1].Field("step"), std::nullopt);
  EXPECT_FALSE(entries[0].deleted);
}

TEST(ParseEntries, NilFieldsMarkATrimmedPendingEntryDeleted) {
  auto entries = ParseEntries(RedisValue::Array({RedisValue::Array({S("5-1"), RedisValue()})}));
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].id, "5-1");
  EXPECT_TRUE(entries[0].deleted);
  EXPECT_TRUE(entries[0].fields.empty());
}

TEST(ParseEntries, SkipsEntriesOfAnotherShape) {
  auto entries = ParseEntries(RedisValue::Array(
      {S("1-0"), RedisValue::Array({S("2-0")}), Entry("3-0", {"job", "x"}), RedisValue()}));
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].id, "3-0");
  EXPECT_TRUE(ParseEntries(RedisValue()).empty());
  EXPECT_TRUE(ParseEntries(S("1-0")).empty());
}

TEST(StreamEntry, EnqueuedAtIsTheIdsMillisecondPart) {
  EXPECT_EQ(StreamEntry{.id = "1700000000123-7"}.EnqueuedAtMillis(), 1700000000123);
  EXPECT_EQ(StreamEntry{.id = "x"}.EnqueuedAtMillis(), 0);
}

}  // namespace
}  // namespace raibid
