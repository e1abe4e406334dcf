#!/usr/bin/env bash
# campaign-csv.sh ROWS: the benchmark campaign on stdout, one post every
# 5 minutes from 2031 on three channels, French text with accents and an
# emoji, a link, tags. scripts/bench-import.sh and bench-compare.sh load it.
set -euo pipefail
awk -v n="$1" 'BEGIN {
	print "slug,at,channels,campaign,tags,title,body,link"
	start = 1924992000 # 2031-01-01T00:00:00Z
	for (i = 1; i <= n; i++) {
		t = start + i * 300
		printf "post-%06d,%s,\"bench-log,bench-mastodon,bench-bsky\",bench,\"tag%d,bench\",Titre %d,\"Publication n°%d : les soldes d’été arrivent, profitez-en vite ☀️ — édition %d, café offert à la clé.\",https://acme.example/p/%d\n",
			i, strftime("%Y-%m-%dT%H:%M:%SZ", t, 1), i % 10, i, i, i % 97, i
	}
}'
