//go:build race

package directory_test

// randomCases divides the randomized encoding tests' cases under the race detector: they run
// on one goroutine, so it finds nothing in them, and it makes each case twenty times slower.
const randomCases = 10
