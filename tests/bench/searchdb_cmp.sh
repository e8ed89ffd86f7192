#!/bin/sh
# searchdb_cmp.sh OLD_BIN NEW_BIN DATADIR [WORDS] [PORT]: builds search.db from
# copies of DATADIR's store (search.db left out) with each binary, then
# compares the two: FTS5's data blocks byte for byte, the docs table, the
# state counters, and the /api/search answers to each word of WORDS (one a
# line; default: 120 words of every frequency from the bench corpus).
# Prints "fts|docs|state|answers: same|DIFFERENT"; exits 1 if any differs.
OLD=$1; NEW=$2; SRC=$3; WORDS=${4:-}; PORT=${5:-4621}
T=$(mktemp -d /tmp/searchdb-cmp-XXXXXX)
if [ -z "$WORDS" ]; then
	WORDS=$T/words
	tr -cs 'A-Za-z' '\n' </work/main/build/bench-corpus.txt | tr A-Z a-z | awk 'length > 3' | sort | uniq -c |
		sort -rn | awk 'NR % 40 == 1 {print $2}' | head -120 >$WORDS
fi
for v in old new; do
	D=$T/$v; mkdir -p $D
	sqlite3 "$SRC/tracelite.db" ".backup $D/tracelite.db"
	[ $v = old ] && B=$OLD || B=$NEW
	"$B" serve --data $D --listen 127.0.0.1:$PORT --grpc-listen off >$D.log 2>&1 &
	PID=$!
	for i in $(seq 1 1200); do
		p=$(curl -s 127.0.0.1:$PORT/api/health | sed -n 's/.*"search":{[^}]*"pending_chunks":\([0-9]*\).*/\1/p')
		[ "$p" = 0 ] && break
		sleep 0.5
	done
	while read -r q; do curl -s "127.0.0.1:$PORT/api/search?q=$q&limit=50" | md5sum; done <$WORDS >$D.answers
	kill $PID; wait $PID 2>/dev/null
	sqlite3 $D/search.db "SELECT id, hex(block) FROM fts_data ORDER BY id" | md5sum >$D.fts
	sqlite3 $D/search.db "SELECT * FROM docs ORDER BY id" | md5sum >$D.docs
	sqlite3 $D/search.db "SELECT * FROM state ORDER BY key" >$D.state
	echo "$v: $(sqlite3 $D/search.db "SELECT count(*) FROM docs") documents, $(sqlite3 $D/search.db "SELECT value FROM state WHERE key = 'text_bytes'") text bytes"
done
rc=0
for f in fts docs state answers; do
	if cmp -s $T/old.$f $T/new.$f; then echo "$f: same"; else echo "$f: DIFFERENT"; rc=1; fi
done
rm -rf $T
exit $rc
