package directory

import (
	"math/rand/v2"
	"testing"
	"unicode/utf8"
)

// TestFoldASCIIShortcut: the ASCII shortcut of foldIdentifier gives what the full fold gives,
// for every ASCII character alone, between letters and at either end, and for random ASCII
// strings.
func TestFoldASCIIShortcut(t *testing.T) {
	var inputs []string
	for c := 0; c < utf8.RuneSelf; c++ {
		r := string(rune(c))
		inputs = append(inputs, r, "a"+r+"Z", r+"Ann.Lee@Example.COM"+r)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 5000 {
		b := make([]byte, rng.IntN(40))
		for i := range b {
			b[i] = byte(rng.IntN(utf8.RuneSelf))
		}
		inputs = append(inputs, string(b))
	}
	for _, s := range inputs {
		if !isASCII(s) {
			t.Fatalf("%q is not ASCII", s)
		}
		if got, want := foldIdentifier(s), foldUnicode(s); got != want {
			t.Errorf("fold of %q: shortcut %q, full fold %q", s, got, want)
		}
	}
	if isASCII("admın") || foldIdentifier("ADMİN") != "admin" {
		t.Errorf("a non-ASCII name must take the full fold: %q", foldIdentifier("ADMİN"))
	}
}
