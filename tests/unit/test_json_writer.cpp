#include <catch2/catch.hpp>

#include "common/json_writer.hpp"

using namespace sslvpn;

TEST_CASE("json: objects, arrays, numbers, escapes", "[json]") {
  JsonWriter j;
  j.begin_array();
  j.begin_object()
      .field("Username", "Zo\xc3\xab \"the\" \\ one")
      .field("ID", uint64_t{42})
      .field("neg", int64_t{-3})
      .field("ok", true)
      .field("DNS", std::vector<std::string>{"10.0.0.1", "fd00::1"})
      .end_object();
  j.begin_object().end_object();
  j.end_array();
  CHECK(j.str() ==
        "[{\"Username\":\"Zo\xc3\xab \\\"the\\\" \\\\ one\",\"ID\":42,\"neg\":-3,\"ok\":true,"
        "\"DNS\":[\"10.0.0.1\",\"fd00::1\"]},{}]");
}

TEST_CASE("json: control bytes and invalid UTF-8 never break the output", "[json]") {
  std::string out;
  json_quote(out, std::string("a\nb\x01\x7f", 5));
  CHECK(out == "\"a\\u000ab\\u0001\\u007f\"");
  out.clear();
  json_quote(
      out, "\xff\xc3(\xe2\x82\xed\xa0\x80\xf0\x9f\x98\x80");  // bad, bad, bad, surrogate, then a valid emoji
  CHECK(out == "\"\\ufffd\\ufffd(\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\xf0\x9f\x98\x80\"");
}
