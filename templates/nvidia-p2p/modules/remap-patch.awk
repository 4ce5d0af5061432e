# Rewrites the paths of a unified diff made against NVIDIA's GitHub tree (open-gpu-kernel-modules) so that it
# applies to NVIDIA's redistribution archive, which keeps that tree's src/ under src/kernel-module-source/src/;
# kernel-open/ sits at the root of both. The same rule as remapPatch in talos-ext (src/extension/patch-remap.ts):
# only header lines outside hunks are rewritten, so a removed line that starts with "--- " is left alone.
#
#   awk -f remap-patch.awk p2p.diff > p2p-redist.diff

function remap(p) {
  if (index(p, "src/") == 1) return "src/kernel-module-source/" p
  return p
}

# "-12,7" or "+12" -> the line count of that side of the hunk (1 when omitted)
function count(range,   i) {
  i = index(range, ",")
  if (i == 0) return 1
  return substr(range, i + 1) + 0
}

BEGIN { old = 0; new = 0 }

{
  line = $0
  if (old > 0 || new > 0) {
    c = substr(line, 1, 1)
    if (c == "-") old--
    else if (c == "+") new--
    else if (c != "\\") { old--; new-- }
    print line
    next
  }
  if (line ~ /^@@ -[0-9]+(,[0-9]+)? \+[0-9]+(,[0-9]+)? @@/) {
    split(line, f, " ")
    old = count(f[2]); new = count(f[3])
    print line
    next
  }
  if (line ~ /^diff --git a\/[^ \t]+ b\/[^ \t]+$/) {
    split(substr(line, 14), p, " b/")
    print "diff --git a/" remap(p[1]) " b/" remap(p[2])
    next
  }
  if (line ~ /^(---|\+\+\+) /) {
    head = substr(line, 1, 4); rest = substr(line, 5)
    if (head == "--- " && index(rest, "a/") == 1) { head = head "a/"; rest = substr(rest, 3) }
    else if (head == "+++ " && index(rest, "b/") == 1) { head = head "b/"; rest = substr(rest, 3) }
    if (match(rest, /^[^ \t]+/)) {
      print head remap(substr(rest, 1, RLENGTH)) substr(rest, RLENGTH + 1)
      next
    }
  }
  if (line ~ /^(rename|copy) (from|to) [^ \t]+$/) {
    n = split(line, w, " ")
    print w[1] " " w[2] " " remap(w[3])
    next
  }
  print line
}
