/* tests/graph/sandbox/strlib.c: the sandbox's string and table functions
 * (graph/spec_strlib.c) against Lua's own. One Lua script runs in a plain
 * state and in one with the sandbox's functions; both print what every call
 * returned (or its error), and the outputs must be equal. The script: fixed
 * cases, then random patterns over random subjects (seeded, short enough
 * that Lua's own matcher ends).
 * usage: strlib SCRIPT.lua */
#include "../../../graph/spec_strlib.c"
#include <stdio.h>
#include <stdlib.h>

void vn_spec_charge(lua_State *L, long long work) { (void)L; (void)work; }

static char *run(const char *file, int sandboxed) {
  lua_State *L = luaL_newstate();
  luaL_openlibs(L);
  if (sandboxed) vn_spec_open_strlib(L);
  if (luaL_dofile(L, file) != LUA_OK) {
    fprintf(stderr, "strlib: %s\n", lua_tostring(L, -1));
    exit(1);
  }
  char *out = strdup(lua_tostring(L, -1) ? lua_tostring(L, -1) : "");
  lua_close(L);
  return out;
}

int main(int argc, char **argv) {
  if (argc != 2) { fprintf(stderr, "usage: strlib SCRIPT.lua\n"); return 2; }
  char *want = run(argv[1], 0), *got = run(argv[1], 1);
  if (strcmp(want, got)) {
    /* print the first differing line of each */
    const char *a = want, *b = got;
    while (*a && *a == *b) a++, b++;
    while (a > want && a[-1] != '\n') a--, b--;
    fprintf(stderr, "strlib: differs from Lua's\n  lua:     %.*s\n  sandbox: %.*s\n", (int)strcspn(a, "\n"), a,
            (int)strcspn(b, "\n"), b);
    free(want);
    free(got);
    return 1;
  }
  printf("strlib: %zu bytes of results equal to Lua's\n", strlen(want));
  free(want);
  free(got);
  return 0;
}
