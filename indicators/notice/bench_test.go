package notice_test

import (
	"os"
	"testing"

	"github.com/duban-gov/duban/indicators/notice"
)

// BenchmarkParseSeed measures one import of the 177-task seed notice.
func BenchmarkParseSeed(b *testing.B) {
	text, err := os.ReadFile("../source/changzhi-2026.txt")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		notice.Parse(string(text), notice.Options{})
	}
}
