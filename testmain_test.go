package main

import (
	"fmt"
	"os"
	"testing"
)

// TestMain keeps the tests' session caches out of the user's cache
// directory, and lets a test run the real main in a child process (with
// RCHUD_TEST_MAIN=1: os.Args after the test binary's are rchud's).
func TestMain(m *testing.M) {
	if os.Getenv("RCHUD_TEST_MAIN") == "1" {
		os.Args = append([]string{"rchud"}, os.Args[1:]...)
		main()
		return
	}
	dir, err := os.MkdirTemp("", "rchud-test-cache-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	userCacheDir = func() (string, error) { return dir, nil }
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}
