// The assert taxonomy (STYLE rule 10). VPN_CHECK: an invariant or an environment failure after
// start-up that leaves no safe way on (the random generator failed); always on, it names the
// place and aborts. Never for peer input: that gets an error or a drop.
#pragma once

#include <cstdio>
#include <cstdlib>

#define VPN_CHECK(cond, what)                                                             \
  do {                                                                                    \
    if (!(cond)) {                                                                        \
      std::fprintf(stderr, "fatal: %s (%s:%d: %s)\n", (what), __FILE__, __LINE__, #cond); \
      std::abort();                                                                       \
    }                                                                                     \
  } while (0)
