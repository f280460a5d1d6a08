#!/bin/sh
# Man pages from the CLI's own help text, so that they cannot drift from it:
#   scripts/gen-man.sh build/perfvisor OUTDIR
# writes OUTDIR/perfvisor.1 (the command list of 'perfvisor help') and OUTDIR/perfvisor-CMD.1 for
# each command (its 'perfvisor CMD --help'): the usage line becomes SYNOPSIS, the text up to the
# first option DESCRIPTION, lines "  -x, --long ARG   text" OPTIONS entries, the rest as written.
set -eu
PV=$1 OUT=$2
mkdir -p "$OUT"
VERSION=$("$PV" --version | sed 's/^perfvisor //')
DATE=$(date -u -d "@${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}" +%Y-%m-%d)

# help text on stdin -> roff on stdout
to_roff() { # name section-title
    awk -v name="$1" -v title="$2" -v version="$VERSION" -v date="$DATE" '
    function esc(s,  c) {
        gsub(/\\/, "\\\\e", s); gsub(/-/, "\\\\-", s)
        c = substr(s, 1, 1)
        if (c == "." || c == "'\''") s = "\\&" s
        return s
    }
    BEGIN { printf ".TH %s 1 \"%s\" \"perfvisor %s\" \"perfvisor manual\"\n", toupper(name), date, version }
    NR == 1 && /^usage: / {
        sub(/^usage: /, "")
        printf ".SH NAME\n%s \\- %s\n.SH SYNOPSIS\n.B %s\n", esc(name), esc(title), esc($0)
        section = "usage"; next
    }
    /^$/ {
        if (section == "usage") { print ".SH DESCRIPTION"; section = "desc"; next }
        if (section == "opt") { section = "text"; print ".PP"; next }
        print ".PP"; next
    }
    # "  -x, --long ARG   text" and "  command   text": a tagged paragraph (.TP)
    { match($0, /^ */); indent = RLENGTH }   # mawk has no {m,n}: count the blanks
    (indent >= 2 && indent <= 8 && /^ +-/) || /^  [a-z]+  +[^ ]/ {
        if (/^ +-/ && !opts) { print ".SH OPTIONS"; opts = 1 }
        section = "opt"
        line = $0; sub(/^ +/, "", line)
        if (match(line, /   */) && substr(line, RSTART + RLENGTH) != "") {
            printf ".TP\n.B %s\n%s\n", esc(substr(line, 1, RSTART - 1)), esc(substr(line, RSTART + RLENGTH))
        } else {
            printf ".TP\n.B %s\n", esc(line)
        }
        next
    }
    section == "opt" && indent >= 9 { line = $0; sub(/^ +/, "", line); print esc(line); next }
    section == "opt" { section = "text"; print ".PP" }
    { line = $0; sub(/^ +/, "", line); print esc(line) }
    '
}

# perfvisor.1: the commands
"$PV" help | awk 'f && /^  [a-z]/ { print $1 } /Commands:/ { f = 1 }' >"$OUT/.commands"
{
    "$PV" help | to_roff perfvisor "profile virtual machines with performance counters"
    echo ".SH SEE ALSO"
    sep=""
    while read -r c; do [ "$c" = help ] && continue; printf '%s\\fBperfvisor\\-%s\\fR(1)' "$sep" "$c"; sep=", "; done <"$OUT/.commands"
    echo
} >"$OUT/perfvisor.1"
while read -r c; do
    [ "$c" = help ] && continue
    title=$("$PV" help | awk -v c="$c" '$1 == c { $1 = ""; sub(/^ +/, ""); print }')
    { "$PV" "$c" --help | to_roff "perfvisor-$c" "$title"; printf '.SH SEE ALSO\n\\fBperfvisor\\fR(1)\n'; } \
        >"$OUT/perfvisor-$c.1"
done <"$OUT/.commands"
rm -f "$OUT/.commands"
