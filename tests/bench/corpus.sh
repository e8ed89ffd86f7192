#!/bin/sh
# corpus.sh OUT [MB]: writes real English prose available offline to OUT,
# one sentence per line, for the side-by-side benchmark's prompts and
# completions (tests/bench/side.sh, loadgen --text prose). Sources, in a
# fixed order so the corpus is the same on the same system: the licenses in
# /usr/share/common-licenses, the Debian copyright files, the README, NEWS
# and changelog texts (zcat) under /usr/share/doc. Paragraphs are cut into
# sentences; lines that are mostly not words (markup, version headers,
# e-mail signatures) and repeated sentences are dropped. Stops at MB
# megabytes (default 40). Exits 1 when less than 1 MB of prose was found.
OUT=$1
MB=${2:-40}
[ -n "$OUT" ] || { echo "usage: corpus.sh OUT [MB]" >&2; exit 2; }
export LC_ALL=C
{
	find /usr/share/common-licenses -type f 2>/dev/null | sort | xargs -r cat
	find /usr/share/doc -name copyright -type f 2>/dev/null | sort | xargs -r cat
	find /usr/share/doc \( -iname 'README*' -o -iname 'NEWS*' -o -iname '*.txt' -o -iname '*.md' \
		-o -iname 'changelog*' \) -type f 2>/dev/null | sort | while read -r f; do
		case $f in
		*.gz) zcat "$f" 2>/dev/null ;;
		*.xz|*.bz2|*.zst) ;;
		*) cat "$f" ;;
		esac
	done
} | awk -v max=$((MB * 1000000)) '
# a paragraph ends at a blank line; sentences end at ". ", "? " or "! "
function flush(   n, i, s, letters) {
	gsub(/[ \t]+/, " ", para)
	n = split(para, parts, /[.?!] /)
	for (i = 1; i <= n; i++) {
		s = parts[i]
		sub(/^ +/, "", s)
		sub(/ +$/, "", s)
		if (length(s) < 40 || length(s) > 600) continue
		if (s !~ /^[A-Z]/) continue
		letters = s
		gsub(/[^A-Za-z ]/, "", letters)
		if (length(letters) < 0.9 * length(s)) continue
		if (s !~ /[.?!:;"]$/) s = s "."
		if (seen[s]++) continue
		print s
		total += length(s) + 1
		if (total >= max) exit
	}
	para = ""
}
/^[ \t]*$/ { flush(); next }
# changelog headers and trailers, license boilerplate rules
/^[^ ]+ \([^)]*\) .*; urgency=/ || /^ -- / || /^[-=*#~]{3,}/ { flush(); next }
{
	line = $0
	sub(/^[ \t]*([*+-]|[0-9]+[.)])?[ \t]*/, "", line)
	para = para " " line
}
END { flush() }
' >"$OUT.tmp" || exit 1
size=$(wc -c <"$OUT.tmp")
if [ "$size" -lt 1000000 ]; then
	echo "corpus.sh: only $size bytes of prose under /usr/share/doc and /usr/share/common-licenses" >&2
	rm -f "$OUT.tmp"
	exit 1
fi
mv "$OUT.tmp" "$OUT"
