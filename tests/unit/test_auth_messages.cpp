#include <catch2/catch.hpp>

#include "worker/anyconnect/auth_messages.hpp"

using namespace sslvpn;
using namespace sslvpn::anyconnect;

TEST_CASE("auth xml: openconnect init and replies", "[auth][xml]") {
  auto init = parse_client_auth_xml(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<config-auth client=\"vpn\" type=\"init\" "
      "aggregate-auth-version=\"2\"><version who=\"vpn\">v9.01-3</version><device-id>linux-64</device-id>"
      "<group-select>ops</group-select><group-access>https://vpn:443/</group-access></config-auth>");
  REQUIRE(init.ok());
  CHECK(init->type == ClientAuth::Type::Init);
  CHECK(init->group == "ops");

  auto reply = parse_client_auth_xml(
      "<config-auth client=\"vpn\" type=\"auth-reply\"><auth><username>al&amp;ice</username>"
      "<password>p&lt;w</password></auth><group-select>staff</group-select></config-auth>");
  REQUIRE(reply.ok());
  CHECK(reply->type == ClientAuth::Type::AuthReply);
  CHECK(reply->username == "al&ice");
  CHECK(reply->password == "p<w");
  CHECK(reply->has_password);
  CHECK(reply->group == "staff");
}

TEST_CASE("auth xml: hostile or broken documents", "[auth][xml]") {
  CHECK_FALSE(parse_client_auth_xml("").ok());
  CHECK_FALSE(parse_client_auth_xml("<config-auth type=\"init\">").ok());
  CHECK_FALSE(parse_client_auth_xml("<other type=\"init\"/>").ok());
  CHECK(parse_client_auth_xml("<config-auth type=\"bogus\"/>").error() == Errc::UnknownType);
  CHECK_FALSE(parse_client_auth_xml(
                  "<?xml version=\"1.0\"?><!DOCTYPE l [<!ENTITY a \"aaaa\"><!ENTITY b \"&a;&a;&a;\">]>"
                  "<config-auth type=\"auth-reply\"><auth><username>&b;</username></auth></config-auth>")
                  .ok());
  std::string big(kMaxNameField + 1, 'u');
  CHECK(parse_client_auth_xml("<config-auth type=\"auth-reply\"><auth><username>" + big +
                              "</username></auth></config-auth>")
            .error() == Errc::Limit);
}

TEST_CASE("auth form: url-encoded legacy post", "[auth][form]") {
  auto f = parse_client_auth_form("username=bob%20smith&password=a%2Bb+c&group_list=ops");
  REQUIRE(f.ok());
  CHECK(f->username == "bob smith");
  CHECK(f->password == "a+b c");
  CHECK(f->group == "ops");
  CHECK_FALSE(parse_client_auth_form("username=%zz").ok());
  CHECK_FALSE(parse_client_auth_form("username=%4").ok());
  CHECK(url_decode("%41%62").value() == "Ab");
}

TEST_CASE("auth xml: server documents escape what they carry", "[auth][xml]") {
  LoginForm f;
  f.banner = "Hi <there> & \"you\"\x01";
  f.error = "Login failed.";
  f.groups = {{"DEFAULT", "DEFAULT"}, {"ops", "Ops & Co"}};
  f.selected_group = "ops";
  std::string x = build_auth_request(f);
  CHECK(x.find("<banner>Hi &lt;there&gt; &amp; &quot;you&quot;</banner>") != std::string::npos);
  CHECK(x.find("<error id=\"main\">Login failed.</error>") != std::string::npos);
  CHECK(x.find("<option value=\"ops\" selected=\"true\">Ops &amp; Co</option>") != std::string::npos);
  CHECK(x.find("name=\"password\"") != std::string::npos);
  CHECK(build_auth_complete("B").find("<auth id=\"success\">") != std::string::npos);
}
