package bluesky

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"strconv"
)

// tidAlphabet is base32-sortable, the alphabet of AT Protocol TIDs.
const tidAlphabet = "234567abcdefghijklmnopqrstuvwxyz"

// recordKey derives the record key of part (0 = the first post) of a delivery
// from its idempotency key, so that every attempt writes to the same key and
// a second attempt can find the first. app.bsky.feed.post requires keys in
// TID syntax (13 base32-sortable characters of a 64-bit integer whose top bit
// is zero), so the key is a TID made of hash bits rather than of a clock.
func recordKey(idempotencyKey string, part int) string {
	sum := sha256.Sum256([]byte("crieur/bluesky/" + strconv.Itoa(part) + "/" + idempotencyKey))
	return tid(binary.BigEndian.Uint64(sum[:8]) >> 1)
}

// randomKey stands in for the idempotency key of a post that has none; such
// a post cannot be recognised by a later attempt.
func randomKey() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return "random-" + hex.EncodeToString(b[:])
}

func tid(v uint64) string {
	var b [13]byte
	for i := len(b) - 1; i >= 0; i-- {
		b[i] = tidAlphabet[v&31]
		v >>= 5
	}
	return string(b[:])
}
