#!/bin/sh
# gen-embed.sh NAME FILE...: prints C source defining `const struct
# embedded_file NAME[]` (see embed.h) holding each FILE's bytes, ended by an
# entry whose name is NULL. Used to build schema/ (and web/) into the binary.
set -e
name=$1; shift
echo '#include "base/embed.h"'
i=0
for f in "$@"; do
	echo "static const unsigned char ${name}_$i[] = {"
	od -An -v -tx1 "$f" | sed 's/ *\([0-9a-f][0-9a-f]\)/0x\1,/g'
	echo "0x00};"
	i=$((i + 1))
done
echo "const struct embedded_file ${name}[] = {"
i=0
for f in "$@"; do
	echo "	{\"$(basename "$f")\", ${name}_$i, sizeof ${name}_$i - 1},"
	i=$((i + 1))
done
echo "	{0, 0, 0}};"
