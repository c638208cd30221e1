# json.awk: flatten one JSON document into PATH=VALUE lines (busybox awk;
# the guest has no jq).  Object keys and array indexes are joined by dots;
# every array also gets PATH.length=N.  Strings keep their quotes, so the
# type shows: pfs.0.driver="igb", pfs.0.total_vfs=7, vfs.1.interface=null.
# Empty containers print PATH={} / PATH=[] (and PATH.length=0 for arrays).
# Escapes inside strings are kept as written (\" stays \").
# Exit status 3, with a message on stderr, when the input is not valid JSON.
#
#   vfnet list --json | awk -f json.awk
#   pfs.length=1
#   pfs.0.pci="0000:01:00.0"
#   ...

function die(msg) {
  printf "json: %s at offset %d near '%s'\n", msg, pos, substr(s, pos, 20) > "/dev/stderr"
  bad = 1
  exit 3
}
function ws() {
  while (pos <= n && index(" \t\r\n", substr(s, pos, 1)) > 0) pos++
}
function value(path,   c) {
  ws()
  c = substr(s, pos, 1)
  if (c == "{") object(path)
  else if (c == "[") array(path)
  else if (c == "\"") print path "=\"" string() "\""
  else scalar(path)
}
function object(path,   k, c) {
  pos++
  ws()
  if (substr(s, pos, 1) == "}") { pos++; print path "={}"; return }
  while (1) {
    ws()
    if (substr(s, pos, 1) != "\"") die("object key expected")
    k = string()
    ws()
    if (substr(s, pos, 1) != ":") die("':' expected")
    pos++
    value(path == "" ? k : path "." k)
    ws()
    c = substr(s, pos, 1)
    pos++
    if (c == "}") return
    if (c != ",") die("',' or '}' expected")
  }
}
function array(path,   i, c) {
  pos++
  ws()
  if (substr(s, pos, 1) == "]") { pos++; print path "=[]"; print path ".length=0"; return }
  i = 0
  while (1) {
    value(path "." i)
    i++
    ws()
    c = substr(s, pos, 1)
    pos++
    if (c == "]") { print path ".length=" i; return }
    if (c != ",") die("',' or ']' expected")
  }
}
function string(   out, c) {
  pos++
  out = ""
  while (pos <= n) {
    c = substr(s, pos, 1)
    if (c == "\\") { out = out c substr(s, pos + 1, 1); pos += 2; continue }
    if (c == "\"") { pos++; return out }
    if (c == "\n") die("newline inside a string")
    out = out c
    pos++
  }
  die("unterminated string")
}
function scalar(path,   rest) {
  rest = substr(s, pos)
  if (match(rest, /^(true|false|null|-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?)/)) {
    print path "=" substr(rest, 1, RLENGTH)
    pos += RLENGTH
    return
  }
  die("value expected")
}
{ s = s $0 "\n" }
END {
  if (bad) exit 3
  n = length(s)
  pos = 1
  ws()
  if (pos > n) die("empty input")
  value("")
  ws()
  if (pos <= n) die("trailing text after the document")
}
