//go:build !race

package directory_test

// randomCases: see race_on_test.go.
const randomCases = 1
