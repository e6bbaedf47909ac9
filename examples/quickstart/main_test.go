package main

import (
	"context"
	"path/filepath"
	"testing"
)

// The quickstart runs on a new SQLite file, and again on the same file.
func TestQuickstartRunsTwice(t *testing.T) {
	path := filepath.Join(t.TempDir(), "quickstart.db")
	for range 2 {
		if err := run(context.Background(), "sqlite", path); err != nil {
			t.Fatal(err)
		}
	}
}
