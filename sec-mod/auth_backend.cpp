#include "sec-mod/auth_backend.hpp"

namespace sslvpn::secmod {

std::string& answer_for(std::vector<Answer>& answers, const std::string& name) {
  for (auto& a : answers)
    if (a.name == name) return a.value;
  for (auto& a : answers)
    if (a.name == "password") return a.value;
  if (answers.size() == 1) return answers.front().value;
  static thread_local std::string none;
  none.clear();
  return none;
}

}  // namespace sslvpn::secmod
