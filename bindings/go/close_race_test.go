package quire_test

import (
	"errors"
	"io"
	"math/rand"
	"sync"
	"testing"
	"time"

	"quire.dev/quire"
)

// TestCloseRace closes a corpus while goroutines count, iterate and export
// it, hundreds of times: the process survives and every call either
// completes or fails with ErrState (calls in flight keep the corpus mapped
// until they return).
func TestCloseRace(t *testing.T) {
	path := writeCorpus(t, sampleDocs(400), &quire.WriterOptions{BlockSize: 8192})
	rounds := 200
	if testing.Short() {
		rounds = 20
	}
	rng := rand.New(rand.NewSource(15))
	filter := &quire.Filter{From: "2016"}
	works := []func(c *quire.Corpus) error{
		func(c *quire.Corpus) error { // counts
			for {
				if _, err := c.Count(); err != nil {
					return err
				}
				if _, err := c.CountMatches(filter); err != nil {
					return err
				}
			}
		},
		func(c *quire.Corpus) error { // iterates
			for {
				for doc, err := range c.Query(filter) {
					if err != nil {
						return err
					}
					if _, err := doc.Title(); err != nil {
						return err
					}
				}
			}
		},
		func(c *quire.Corpus) error { // exports
			for {
				if _, err := c.WriteCSV(io.Discard, &quire.ExportOptions{Filter: filter}); err != nil {
					return err
				}
			}
		},
	}
	for round := 0; round < rounds; round++ {
		c, err := quire.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		errs := make([]error, len(works))
		var started, done sync.WaitGroup
		for i, work := range works {
			started.Add(1)
			done.Add(1)
			go func() {
				defer done.Done()
				started.Done()
				errs[i] = work(c)
			}()
		}
		started.Wait()
		time.Sleep(time.Duration(rng.Intn(3000)) * time.Microsecond)
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
		done.Wait()
		for i, err := range errs {
			if !errors.Is(err, quire.ErrState) {
				t.Fatalf("round %d, work %d ended with %v, want ErrState", round, i, err)
			}
		}
	}
}
