// Command iterate-bench is the Go side of the bindings benchmark
// (benchmarks/bindings): it iterates every document of a corpus reading its
// date, source (as a string) and text length, without inflating any text,
// and prints the line every language's version prints:
//
//	docs=<N> checksum=<sum of text lengths and dates mod 2^64> seconds=<loop>
package main

import (
	"fmt"
	"os"
	"time"

	"quire.dev/quire"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: iterate-bench CORPUS.quire")
		os.Exit(2)
	}
	corpus, err := quire.Open(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "iterate-bench:", err)
		os.Exit(1)
	}
	defer corpus.Close()
	docs, checksum, seconds, err := iterate(corpus)
	if err != nil {
		fmt.Fprintln(os.Stderr, "iterate-bench:", err)
		os.Exit(1)
	}
	fmt.Printf("docs=%d checksum=%d seconds=%.6f\n", docs, checksum, seconds)
}

func iterate(corpus *quire.Corpus) (docs, checksum uint64, seconds float64, err error) {
	start := time.Now()
	for doc, err := range corpus.Query(nil) {
		if err != nil {
			return 0, 0, 0, err
		}
		if _, err := doc.Source(); err != nil {
			return 0, 0, 0, err
		}
		checksum += doc.TextLength()
		if date := doc.Date(); !date.IsZero() {
			checksum += uint64(date.Unix)
		}
		docs++
	}
	return docs, checksum, time.Since(start).Seconds(), nil
}
