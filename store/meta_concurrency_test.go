package store_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/ocid-project/ocid/fixtures"
)

// TestConcurrentMetadataOperations: tags and lookups from many goroutines
// of one process all succeed and end consistent (the database file is
// opened per operation; the process orders its own operations).
func TestConcurrentMetadataOperations(t *testing.T) {
	ts := newStore(t)
	img := ts.pull(fixtures.LayeredImage(t, fixtures.OCI, fixtures.Gzip), "example.com/base:1")
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for i := range 16 {
		wg.Add(2)
		go func() {
			defer wg.Done()
			errs <- ts.s.Tag(img.ID.String(), fmt.Sprintf("example.com/base:t%d", i))
		}()
		go func() {
			defer wg.Done()
			_, err := ts.s.Lookup("example.com/base:1")
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	got, err := ts.s.Lookup(img.ID.String())
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Names) != 17 {
		t.Errorf("%d names after 16 concurrent tags: %v", len(got.Names), got.Names)
	}
}

// BenchmarkParallelLookups: lookups from several goroutines at once (a
// daemon serving ImageStatus while it pulls).
func BenchmarkParallelLookups(b *testing.B) {
	ts := newStore(b)
	img := ts.pull(fixtures.LayeredImage(b, fixtures.OCI, fixtures.Gzip), "example.com/base:1")
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			if i%8 == 0 {
				if err := ts.s.Tag(img.ID.String(), "example.com/base:moving"); err != nil {
					b.Error(err)
				}
			} else if _, err := ts.s.Lookup("example.com/base:1"); err != nil {
				b.Error(err)
			}
			i++
		}
	})
}
