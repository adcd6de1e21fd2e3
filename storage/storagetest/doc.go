// Package storagetest is the one behaviour suite every directory.Store backend must pass.
// A backend's test file calls Run with a constructor that returns a fresh, empty store; each
// named subtest gets its own.
package storagetest
