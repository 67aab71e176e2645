#include "worker/anyconnect/auth_messages.hpp"

#include <libxml/parser.h>
#include <libxml/tree.h>

#include <cstring>
#include <memory>

#include "common/unique_fd.hpp"
#include "worker/http/form.hpp"

namespace sslvpn::anyconnect {
namespace {

using XmlDoc = CHandle<xmlDoc, xmlFreeDoc>;

bool named(const xmlNode* n, const char* name) {
  return n->type == XML_ELEMENT_NODE && std::strcmp(reinterpret_cast<const char*>(n->name), name) == 0;
}

std::string text_of(const xmlNode* n) {
  std::string out;
  for (const xmlNode* c = n->children; c != nullptr; c = c->next)
    if (c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE)
      out += reinterpret_cast<const char*>(c->content);
  return out;
}

std::string attr_of(const xmlNode* n, const char* name) {
  xmlChar* v = xmlGetProp(n, reinterpret_cast<const xmlChar*>(name));
  if (v == nullptr) return {};
  std::string out(reinterpret_cast<const char*>(v));
  xmlFree(v);
  return out;
}

Result<void> set_field(ClientAuth& a, std::string_view name, std::string value) {
  if (name.empty() || name.size() > kMaxNameField || value.size() > kMaxPasswordField) return Errc::Limit;
  if (name != "group_list" && name != "group-select") {
    if (a.fields.size() >= kMaxFormFields) return Errc::Limit;
    a.fields.emplace_back(std::string(name), value);
  }
  // openconnect renames "answer", "whichpin" and "new_password" inputs to <password>.
  if (name == "username") {
    if (value.size() > kMaxNameField) return Errc::Limit;
    a.username = std::move(value);
  } else if (name == "password") {
    if (value.size() > kMaxPasswordField) return Errc::Limit;
    a.password = std::move(value);
    a.has_password = true;
  } else if (name == "group_list" || name == "group-select") {
    if (value.size() > kMaxNameField) return Errc::Limit;
    a.group = std::move(value);
  }
  return {};
}

}  // namespace

Result<ClientAuth> parse_client_auth_xml(std::string_view body) {
  if (body.find("<!") != std::string_view::npos) return Errc::Malformed;  // DTD, entity declarations
  XmlDoc doc(xmlReadMemory(body.data(), static_cast<int>(body.size()), "auth.xml", nullptr,
                           XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_NOCDATA));
  if (!doc || doc->intSubset != nullptr) return Errc::Malformed;
  const xmlNode* root = xmlDocGetRootElement(doc.get());
  if (root == nullptr || !named(root, "config-auth")) return Errc::Malformed;
  ClientAuth a;
  std::string type = attr_of(root, "type");
  if (type == "init")
    a.type = ClientAuth::Type::Init;
  else if (type == "auth-reply")
    a.type = ClientAuth::Type::AuthReply;
  else if (type == "logout")
    a.type = ClientAuth::Type::Logout;
  else
    return Errc::UnknownType;
  for (const xmlNode* n = root->children; n != nullptr; n = n->next) {
    if (named(n, "group-select")) {
      if (auto r = set_field(a, "group-select", text_of(n)); !r) return r.error();
    } else if (named(n, "auth")) {
      for (const xmlNode* f = n->children; f != nullptr; f = f->next) {
        if (f->type != XML_ELEMENT_NODE) continue;
        if (auto r = set_field(a, reinterpret_cast<const char*>(f->name), text_of(f)); !r) return r.error();
      }
    }
  }
  return a;
}

Result<ClientAuth> parse_client_auth_form(std::string_view body) {
  ClientAuth a;
  a.type = ClientAuth::Type::AuthReply;
  while (!body.empty()) {
    auto amp = body.find('&');
    std::string_view pair = body.substr(0, amp);
    body = amp == std::string_view::npos ? std::string_view{} : body.substr(amp + 1);
    if (pair.empty()) continue;
    auto eq = pair.find('=');
    auto name = http::url_decode(pair.substr(0, eq));
    auto value = http::url_decode(eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1));
    if (!name.ok() || !value.ok()) return Errc::Malformed;
    if (auto r = set_field(a, *name, std::move(value).value()); !r) return r.error();
  }
  return a;
}

std::string build_auth_request(const LoginForm& f) {
  std::string x =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<config-auth client=\"vpn\" type=\"auth-request\">\n"
      "<version who=\"sg\">0.1(1)</version>\n"
      "<auth id=\"main\">\n";
  if (!f.banner.empty()) x += "<banner>" + xml_escape(f.banner) + "</banner>\n";
  x += "<message>" + xml_escape(f.message) + "</message>\n";
  if (!f.error.empty()) x += "<error id=\"main\">" + xml_escape(f.error) + "</error>\n";
  x += "<form method=\"post\" action=\"/auth\">\n";
  if (f.inputs.empty()) {
    x += "<input type=\"text\" name=\"username\" label=\"Username:\" />\n";
    x += "<input type=\"password\" name=\"password\" label=\"Password:\" />\n";
  }
  for (const auto& in : f.inputs)
    x += std::string("<input type=\"") + (in.secret ? "password" : "text") + "\" name=\"" +
         xml_escape(in.name) + "\" label=\"" + xml_escape(in.label) + "\" />\n";
  if (!f.groups.empty() && f.inputs.empty()) {
    x += "<select name=\"group_list\" label=\"Group:\">\n";
    for (const auto& g : f.groups) {
      x += "<option value=\"" + xml_escape(g.name) + "\"";
      if (g.name == f.selected_group) x += " selected=\"true\"";
      x += ">" + xml_escape(g.label) + "</option>\n";
    }
    x += "</select>\n";
  }
  x += "</form></auth>\n</config-auth>\n";
  return x;
}

std::string build_auth_notice(std::string_view message, std::string_view error) {
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
         "<config-auth client=\"vpn\" type=\"auth-request\">\n"
         "<version who=\"sg\">0.1(1)</version>\n"
         "<auth id=\"main\">\n<message>" +
         xml_escape(message) + "</message>\n<error id=\"main\">" + xml_escape(error) +
         "</error>\n<form method=\"post\" action=\"/auth\">\n</form></auth>\n</config-auth>\n";
}

std::string build_auth_complete(std::string_view banner, std::optional<ProfileRef> profile) {
  std::string x =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<config-auth client=\"vpn\" type=\"complete\">\n"
      "<version who=\"sg\">0.1(1)</version>\n"
      "<auth id=\"success\">\n"
      "<title>SSL VPN Service</title>\n";
  if (!banner.empty()) x += "<banner>" + xml_escape(banner) + "</banner>\n";
  x += "</auth>";
  if (profile)
    x += "\n<config client=\"vpn\" type=\"private\"><vpn-profile-manifest><vpn rev=\"1.0\">"
         "<file type=\"profile\" service-type=\"user\"><uri>/profiles/" +
         xml_escape(profile->name) + "</uri><hash type=\"sha1\">" + xml_escape(profile->sha1) +
         "</hash></file></vpn></vpn-profile-manifest></config>\n";
  x += "</config-auth>\n";
  return x;
}

}  // namespace sslvpn::anyconnect
