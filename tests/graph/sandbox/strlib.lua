-- tests/graph/sandbox/strlib.lua: calls whose results the sandbox's string and table
-- functions must give exactly as Lua's do (tests/graph/sandbox/strlib.c runs it).
local out = {}
local function show(...)
  local t = table.pack(...)
  for i = 1, t.n do t[i] = type(t[i]) == "string" and ("%q"):format(t[i]) or tostring(t[i]) end
  return table.concat(t, " ", 1, t.n)
end
local function try(name, f, ...)
  local r = table.pack(pcall(f, ...))
  out[#out + 1] = name .. " " .. show(table.unpack(r, 1, r.n))
end
local function iter(s, p, init)
  local t = {}
  for a, b, c in s:gmatch(p, init) do t[#t + 1] = show(a, b, c) end
  return table.concat(t, "|")
end

local fixed = {
  {"hello world", "o"}, {"hello world", "o", 6}, {"hello world", "o", -3}, {"hello", "l+"}, {"hello", "^h"},
  {"hello", "^e"}, {"hello", "o$"}, {"hello", "l$"}, {"a.b", ".", 1, true}, {"a.b", "%."}, {"", ""}, {"abc", ""},
  {"abc", "", 10}, {"abc", "", 4}, {"abc", "", -10}, {"key = value", "(%w+)%s*=%s*(%w+)"}, {"f(a(b)c)d", "%b()"},
  {"THE (quick) fox", "%f[%a]%a+"}, {"THE (quick) fox", "%f[%A]"}, {"hello", "()ll()"}, {"abab", "(ab)%1"},
  {"aaa", "a-b"}, {"aaab", "a-b"}, {"aaa", "a*"}, {"aaa", "a?a?a?a?"}, {"[x]", "[]]"}, {"a-z", "[a%-z]+"},
  {"a^b", "[%^b]+"}, {"x^y", "[^x]+"}, {"0x1F", "%x+"}, {"  \t trim \n", "^%s*(.-)%s*$"}, {"blk.12.attn_q.weight", "^blk%.(%d+)%.([%w_]+)%.(%a+)$"},
  {"token_embd.weight", "^([%w_]+)%.(%a+)$"}, {"a\0b", "%z"}, {"a\0b", "\0"}, {"a\0b", "[\0]"}, {"abc", "%"}, {"abc", "[a"},
  {"abc", "(a"}, {"abc", "a)"}, {"abc", "%1"}, {"abc", "(a)%2"}, {"abc", "%b"}, {"abc", "%ba"}, {"abc", "%f"}, {"abc", "%fa"},
  {"abc", "(()"}, {("x"):rep(40), ("(x)"):rep(33)}, {"café", "[\128-\255]+"}, {"ABC", "%u%l?"}, {"a1b2", "%D"},
  {"a.b", "%.", 1, true}, {"a+b", "+", 1, true}, {"hello", "l", 1, false}, {"€uro", "€"},
}
for i, c in ipairs(fixed) do
  try("find" .. i, string.find, table.unpack(c, 1, 4))
  try("match" .. i, string.match, c[1], c[2], c[3])
  try("gmatch" .. i, iter, c[1], c[2], c[3])
  try("gsub" .. i, string.gsub, c[1], c[2], "<%0>")
end
local reps = {"%1", "%%", "%0%0", "x", "%2", "%", "%a", ""}
for i, r in ipairs(reps) do
  try("gsubr" .. i, string.gsub, "hello world", "(o)", r)
  try("gsubr0" .. i, string.gsub, "hello world", "o", r)
end
try("gsubf", string.gsub, "hello world", "%w+", function(w) return w:upper() end)
try("gsubf2", string.gsub, "hello world", "(%w)(%w*)", function(a, b) return b .. a end)
try("gsubfnil", string.gsub, "hello world", "%w+", function() return nil end)
try("gsubffalse", string.gsub, "hello world", "%w+", function() return false end)
try("gsubfbad", string.gsub, "hello world", "%w+", function() return {} end)
try("gsubfnum", string.gsub, "hello world", "%w+", function() return 4.5 end)
try("gsubt", string.gsub, "$a and $b", "%$(%w+)", {a = "one", b = 2})
try("gsubtmiss", string.gsub, "$a and $c", "%$(%w+)", {a = "one"})
try("gsubn", string.gsub, "aaaa", "a", "b", 2)
try("gsubn0", string.gsub, "aaaa", "a", "b", 0)
try("gsubnneg", string.gsub, "aaaa", "a", "b", -1)
try("gsubanchor", string.gsub, "aaaa", "^a", "b")
try("gsubempty", string.gsub, "abc", "", "-")
try("gsubempty2", string.gsub, "abc", "x*", "-")
try("gsubpos", string.gsub, "abc", "()", "%1")
try("gsubbadrepl", string.gsub, "abc", "a", true)
try("gsubnum", string.gsub, "abc", "b", 42)
try("gmatchinit", iter, "one two three", "%a+", 5)
try("gmatchinitbig", iter, "one two", "%a*", 100)
try("gmatchempty", iter, "abc", "x*")
try("gmatchpos", iter, "abc", "()b()")
try("findnonstr", string.find, 12345, 3)
try("findnil", string.find, nil, "a")
for n = -1, 6 do
  for _, s in ipairs({"", "a", "ab"}) do
    for _, sep in ipairs({"", ",", "--"}) do
      try("rep" .. n .. s .. sep, string.rep, s, n, sep)
    end
    try("rep" .. n .. s, string.rep, s, n)
  end
end
try("repbig", function() return #("ab"):rep(100000, ";") end)
try("repsepbig", function() return ("ab"):rep(1000, ";") == table.concat(setmetatable({}, {__index = function() return "ab" end}), ";", 1, 1000) end)
try("repbad", string.rep, "x", "y")

local t = {1, 2, 3}
try("insert", function() table.insert(t, 4); table.insert(t, 1, 0); return table.concat(t, ",") end)
try("insertbad", table.insert, t, 10, 1)
try("insertargs", table.insert, t)
try("remove", function() local a = table.remove(t); local b = table.remove(t, 1); return a, b, table.concat(t, ",") end)
try("removeempty", table.remove, {})
try("removebad", table.remove, {1}, 5)
try("move", function() return table.concat(table.move({1, 2, 3}, 1, 3, 2), ",") end)
try("move2", function() return table.concat(table.move({1, 2, 3}, 1, 3, 1, {}), ",") end)
try("movebad", table.move, {}, 1, "x", 1)

-- random patterns over random subjects
math.randomseed(12345)
local atoms = {"a", "b", ".", "%a", "%d", "%s", "%w", "%A", "[ab]", "[^a]", "[a-c]", "[%d_]", "(", ")", "()", "%1",
               "%b()", "%f[%w]", "^", "$", "*", "+", "-", "?", "%", "[", "]", "x", "1", " ", "_"}
local chars = {"a", "b", "c", "1", "2", " ", "(", ")", "_", "x", "A"}
for i = 1, 6000 do
  local p = {}
  for k = 1, math.random(1, 7) do p[k] = atoms[math.random(#atoms)] end
  local s = {}
  for k = 1, math.random(0, 10) do s[k] = chars[math.random(#chars)] end
  p, s = table.concat(p), table.concat(s)
  local init = math.random(-3, 12)
  try("rfind" .. i, string.find, s, p, init)
  try("rmatch" .. i, string.match, s, p)
  try("rgmatch" .. i, iter, s, p)
  try("rgsub" .. i, string.gsub, s, p, "<%0>")
end
return table.concat(out, "\n")
