#!/bin/sh
# Man pages from the texts they document, so that they cannot drift:
#   sh examples/man/man.sh help NAME SECTION "one-line summary" < (NAME --help)
#   sh examples/man/man.sh header < include/sheaf.h          # libsheaf(3)
# A help text: its "Usage:" line is the synopsis, the paragraph after it
# the description, lines ending in ':' at the margin section headings,
# indented lines opening with '-' options (the text after two spaces
# their description, continued on the lines indented below). The header:
# its opening comment is the description, each "/* --- name */" rule a
# section, each SHEAF_API declaration an entry with the comment before
# it, and each type and enum verbatim.
mode=$1
version=$(sed -n 's/^#define SHEAF_VERSION_STRING "\(.*\)"/\1/p' "$(dirname "$0")/../../include/sheaf.h")
esc='{ gsub(/\\/, "\\e"); gsub(/-/, "\\-"); sub(/^[.'"'"']/, "\\\\\\&&"); }'

if [ "$mode" = help ]; then
    name=$2 section=$3 summary=$4
    printf '.TH %s %s "" "sheaf %s" "sheaf"\n' "$(echo "$name" | tr a-z A-Z)" "$section" "$version"
    printf '.SH NAME\n%s \\- %s\n' "$name" "$summary"
    awk '
    function out(s) { '"$esc"' s = $0; return s }
    function flush() { if (opt != "") { print ".TP"; print "\\fB" opt "\\fR"; print desc; opt = ""; desc = "" } }
    NR == 1 && /^[Uu]sage: / { sub(/^[Uu]sage: /, ""); $0 = $0; print ".SH SYNOPSIS"; out(); print "\\fB" $0 "\\fR"; print ".SH DESCRIPTION"; next }
    /^$/ { flush(); print ".PP"; next }
    /^[A-Z][^ ].*:$/ { flush(); sub(/:$/, ""); out(); print ".SS " $0; next }
    /^ +-/ {
        flush(); line = $0
        # The descriptions start in one column (24); a long option may
        # reach it, then two spaces end it.
        if (substr(line, 24, 1) == " " && substr(line, 25, 1) != " " && length(line) > 25) {
            opt = substr(line, 1, 23); desc = substr(line, 25)
        } else {
            sub(/^ +/, "", line)
            if ((i = index(line, "  "))) { opt = substr(line, 1, i - 1); desc = substr(line, i) }
            else { opt = line; desc = "" }
        }
        sub(/^ +/, "", opt); sub(/ +$/, "", opt); sub(/^ +/, "", desc)
        $0 = opt; out(); opt = $0; $0 = desc; out(); desc = $0; next
    }
    /^      / && opt != "" { sub(/^ +/, ""); out(); desc = desc "\n" $0; next }
    { flush(); sub(/^ +/, ""); out(); print }
    END { flush() }'
    exit 0
fi

if [ "$mode" = header ]; then
    printf '.TH LIBSHEAF 3 "" "sheaf %s" "sheaf"\n' "$version"
    printf '.SH NAME\nlibsheaf \\- group news articles that tell the same story\n'
    printf '.SH SYNOPSIS\n.B #include <sheaf.h>\n.PP\nLink with \\fBpkg\\-config \\-\\-libs sheaf\\fR (\\-lsheaf).\n.SH DESCRIPTION\n'
    awk '
    function out(s) { $0 = s; '"$esc"' return $0 }
    function text(s) { sub(/^ *\/?\*+\/? ?/, "", s); sub(/ *\*\/$/, "", s); return s }
    BEGIN { state = "top" }
    state == "top" && NR == 1 { next }
    state == "top" && /^ \*\// { state = "body"; next }
    # Code: lines indented after a blank line, until the next blank one.
    state == "top" {
        s = text($0)
        if (s ~ /^ *$/) { if (code) print ".fi"; code = 0; blank = 1; print ".PP"; next }
        if (s ~ /^  / && (blank || code)) { if (!code) print ".nf"; code = 1; print out(s); next }
        if (code) print ".fi"
        code = 0; blank = 0; sub(/^ +/, "", s)
        if (s ~ /^- /) print ".br"
        print out(s); next
    }
    /^\/\* -+ [a-z]+ \*\/$/ { s = $0; gsub(/^\/\* -+ | \*\/$/, "", s); print ".SH " toupper(s); comment = ""; next }
    /^\/\*/ { incomment = 1; comment = "" }
    incomment { end = $0 ~ /\*\//; s = text($0); comment = comment (comment == "" ? "" : "\n") out(s); if (end) incomment = 0; next }
    /^SHEAF_API/ {
        decl = $0
        while (decl !~ /;/ && (getline line) > 0) { sub(/^ +/, " ", line); decl = decl line }
        sub(/^SHEAF_API /, "", decl)
        print ".TP"; print "\\fB" out(decl) "\\fR"; print comment; comment = ""; next
    }
    # Types and constants verbatim, after the comment that explains them.
    /^typedef (struct|enum) [a-z_]+ \{|^enum \{/ {
        print ".PP"; if (comment != "") print comment
        print ".nf"; print out($0)
        while ($0 !~ /^}/ && (getline) > 0) print out($0)
        print ".fi"; comment = ""; next
    }
    /^typedef|^#define SHEAF_/ { comment = "" }'
    printf '.SH SEE ALSO\n.BR sheaf (1),\n.BR sheaf\\-stream (1)\n'
    exit 0
fi
echo "usage: sh examples/man/man.sh help NAME SECTION SUMMARY < HELP | sh examples/man/man.sh header < sheaf.h" >&2
exit 2
