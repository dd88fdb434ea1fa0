#include "config/yaml_document.h"

#include <gtest/gtest.h>

namespace raibid {
namespace {

std::string ErrorOf(const std::string& text, const YamlLimits& limits = {}) {
  auto doc = YamlDocument::Parse(text, "f.yaml", ErrorKind::kInvalidPipeline, limits);
  if (doc.has_value()) return "";
  EXPECT_EQ(doc.error().kind, ErrorKind::kInvalidPipeline);
  return doc.error().message;
}

TEST(YamlDocument, EmptyTextHasANullRoot) {
  for (const char* text : {"", "# only a comment\n", "---\n", "  \n\n"}) {
    auto doc = YamlDocument::Parse(text, "f.yaml", ErrorKind::kConfig);
    ASSERT_TRUE(doc.has_value()) << text;
    EXPECT_TRUE(doc->root().IsNull()) << text;
  }
}

TEST(YamlDocument, SyntaxErrorIsFileLineColumnAndYamlCppsMessage) {
  EXPECT_EQ(ErrorOf("a: 1\nb: [1, 2\n"),
            "f.yaml:3:1: end of sequence flow not found (a `[` is never closed by `]`)");
  EXPECT_EQ(ErrorOf("a: 1\nb: x: y\n"),
            "f.yaml:2:5: illegal map value (check the indentation, and quote a value that contains "
            "`: `)");
  EXPECT_EQ(ErrorOf("a: 'open\n  b"), "f.yaml:2:4: illegal EOF in scalar");
}

TEST(YamlDocument, TabIndentationGetsAHint) {
  EXPECT_EQ(
      ErrorOf("steps:\n\t- name: x\n"),
      "f.yaml:2:2: illegal block entry (YAML does not allow tabs for indentation; use spaces)");
}

TEST(YamlDocument, UnterminatedDoubleQuoteAtTheEndIsAnError) {
  // yaml-cpp itself accepts this and ends the string at the end of the text.
  EXPECT_EQ(ErrorOf("a: 1\nb: \"abc\n"), "f.yaml:2:4: quoted string is never closed");
  EXPECT_EQ(ErrorOf("a: &x \"abc\n"), "f.yaml:1:7: quoted string is never closed");
  EXPECT_EQ(ErrorOf("a: \"x\\\"\"\nb: 'it''s'\n"), "");
}

TEST(YamlDocument, MoreThanOneDocumentIsAnError) {
  EXPECT_EQ(ErrorOf("a: 1\n---\nb: 2\n"), "f.yaml:2:1: expected one YAML document, found 2");
}

TEST(YamlDocument, OversizedDocumentIsRefusedBeforeParsing) {
  const std::string big = "a: \"" + std::string(2 << 20, 'x') + "\"\n";
  EXPECT_EQ(ErrorOf(big),
            "f.yaml:1:1: document is 2097158 bytes, larger than the limit of "
            "1048576 bytes");
}

TEST(YamlDocument, TooManyNodesIsRefused) {
  std::string list = "[";
  for (int i = 0; i < 2000; ++i) list += "1,";
  list += "1]";
  EXPECT_EQ(ErrorOf(list, {.max_nodes = 1000}),
            "f.yaml:1:2000: document has more than 1000 YAML nodes");
}

TEST(YamlDocument, NestingPastMaxDepthIsRefusedAtTheNode) {
  EXPECT_EQ(ErrorOf("a: [[1]]\n", {.max_depth = 3}), "");
  EXPECT_EQ(ErrorOf("a: [[[1]]]\n", {.max_depth = 3}),
            "f.yaml:1:6: document is nested deeper than 3 levels");
  EXPECT_EQ(ErrorOf("a:\n  b:\n    c:\n      d: 1\n", {.max_depth = 3}),
            "f.yaml:4:7: document is nested deeper than 3 levels");
  // Named limits say which setting to raise.
  EXPECT_EQ(ErrorOf("a: [[[1]]]\n", {.max_depth = 3, .depth_name = "yaml_depth"}),
            "f.yaml:1:6: document is nested deeper than agent.limits.yaml_depth (3 levels)");
}

TEST(YamlDocument, DeepNestingIsRefused) {
  for (const std::string& deep : {std::string(10000, '['), std::string(10000, '{'), [] {
                                    std::string s;
                                    for (int i = 0; i < 10000; ++i) s += "- ";
                                    return s + "x\n";
                                  }()}) {
    const std::string message = ErrorOf(deep);
    EXPECT_TRUE(message.ends_with(": document is nested too deeply")) << message;
  }
}

TEST(YamlDocument, BinaryJunkParsesOrFailsWithoutCrashing) {
  std::string junk;
  uint32_t x = 12345;
  for (int round = 0; round < 200; ++round) {
    junk.clear();
    for (int i = 0; i < 512; ++i) {
      x = x * 1103515245 + 12345;
      junk += static_cast<char>(x >> 16);
    }
    auto doc = YamlDocument::Parse(junk, "f.yaml", ErrorKind::kConfig);
    if (!doc) {
      EXPECT_TRUE(doc.error().message.starts_with("f.yaml:")) << doc.error().message;
    }
  }
}

TEST(YamlDocument, EntriesRefuseDuplicateAndNonScalarKeys) {
  auto doc = YamlDocument::Parse("a: 1\nb: 2\na: 3\n", "f.yaml", ErrorKind::kConfig);
  ASSERT_TRUE(doc.has_value());
  auto entries = doc->Entries(doc->root(), "top");
  ASSERT_FALSE(entries.has_value());
  EXPECT_EQ(entries.error().message, "f.yaml:3:1: top.a: key given twice");

  auto complex = YamlDocument::Parse("? [a, b]\n: 1\n", "f.yaml", ErrorKind::kConfig);
  ASSERT_TRUE(complex.has_value());
  auto complex_entries = complex->Entries(complex->root(), "");
  ASSERT_FALSE(complex_entries.has_value());
  EXPECT_EQ(complex_entries.error().message, "f.yaml:1:3: keys must be plain names, got a list");
}

TEST(YamlDocument, EntriesKeepDocumentOrderAndPointEmptyValuesAtTheirKey) {
  auto doc = YamlDocument::Parse("zeta: 1\nalpha:\nmid: x\n", "f.yaml", ErrorKind::kConfig);
  ASSERT_TRUE(doc.has_value());
  auto entries = doc->Entries(doc->root(), "");
  ASSERT_TRUE(entries.has_value());
  ASSERT_EQ(entries->size(), 3u);
  EXPECT_EQ((*entries)[0].key, "zeta");
  EXPECT_EQ((*entries)[1].key, "alpha");
  EXPECT_EQ((*entries)[1].mark().line, 1);
  EXPECT_EQ((*entries)[1].mark().column, 0);
  EXPECT_EQ(doc->Text((*entries)[1], "alpha").value(), "");
  EXPECT_EQ(doc->Text((*entries)[2], "mid").value(), "x");
}

TEST(QuoteForMessage, EscapesControlBytesAndShortens) {
  EXPECT_EQ(QuoteForMessage("a\nb\x01"), "'a\\nb\\x01'");
  EXPECT_EQ(QuoteForMessage(std::string(100, 'x')), "'" + std::string(60, 'x') + "...'");
}

}  // namespace
}  // namespace raibid
