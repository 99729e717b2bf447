package boltstore

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/crc32"
)

// Reviews and closures are stored as small framed JSON records: a version byte, the
// JSON body, and a CRC-32C over the key and both, so that a record moved under another
// key, or a bit flipped in it, is found (store check, every read).

// sealRecord frames rec, stored under key, with version.
func sealRecord(key []byte, version byte, rec any) []byte {
	body, err := json.Marshal(rec)
	if err != nil {
		panic(err) // strings, bools, numbers and times
	}
	return resealRecord(key, append([]byte{version}, body...))
}

// resealRecord is the framed record whose version byte and body are b, with the
// checksum of key (a migration moving a record under a new key).
func resealRecord(key, b []byte) []byte {
	return binary.BigEndian.AppendUint32(b, crc32.Update(crc32.Update(0, castagnoli, key), castagnoli, b))
}

// openRecord verifies the record v stored under key and decodes its body into rec; a
// non-empty answer says what is wrong with it ("fails its checksum").
func openRecord(key, v []byte, version byte, rec any) (problem string) {
	if len(v) < 1+4 {
		return "is cut short"
	}
	body := v[:len(v)-4]
	if crc32.Update(crc32.Update(0, castagnoli, key), castagnoli, body) != binary.BigEndian.Uint32(v[len(v)-4:]) {
		return "fails its checksum"
	}
	if body[0] != version {
		return fmt.Sprintf("has version %d", body[0])
	}
	if err := json.Unmarshal(body[1:], rec); err != nil {
		return "does not decode"
	}
	return ""
}
