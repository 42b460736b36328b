// A Go program using the quire module as a consumer does: go.mod requires
// quire.dev/quire (replaced by the checkout until it is published) and
// nothing else is set up. It packs a corpus of its own, then the seeds
// sample when its folder is given, and filters and exports both.
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"quire.dev/quire"
)

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "go consumer: "+format+"\n", args...)
	os.Exit(1)
}

func check(err error) {
	if err != nil {
		fail("%v", err)
	}
}

// exercise opens path, checks its count and a filter's count, and exports
// the filtered documents, which must contain want.
func exercise(path string, docs uint64, filter *quire.Filter, matches uint64, want string) {
	c, err := quire.Open(path)
	check(err)
	defer c.Close()
	n, err := c.Count()
	check(err)
	m, err := c.CountMatches(filter)
	check(err)
	if n != docs || m != matches {
		fail("%s: %d documents, %d matching; want %d and %d", path, n, m, docs, matches)
	}
	out := path + ".csv"
	res, err := c.ExportCSV(out, &quire.ExportOptions{Filter: filter})
	check(err)
	data, err := os.ReadFile(out)
	check(err)
	if res.Rows != matches || !strings.Contains(string(data), want) {
		fail("%s: exported %d rows, want %d containing %q", out, res.Rows, matches, want)
	}
	fmt.Printf("go consumer: %s: %d documents, %d exported\n", filepath.Base(path), n, res.Rows)
}

func main() {
	if len(os.Args) != 3 {
		fail("usage: consumer WORKDIR SEEDS_DIR")
	}
	work, seeds := os.Args[1], os.Args[2]
	fmt.Println("go consumer: libquire", quire.Version())

	own := filepath.Join(work, "own.quire")
	w, err := quire.Create(own, nil)
	check(err)
	for _, d := range []quire.Document{
		{Source: "Belarus in Focus", Date: "2016-04-22T18:38", Title: "Sino-Belarusian", Text: "Текст 😀"},
		{Source: "Xinhua", Date: "2017-01", Title: "second", Text: "two"},
		{Title: "no source, no date", Text: "three"},
	} {
		check(w.Add(d))
	}
	check(w.Finish())
	exercise(own, 3, &quire.Filter{From: "2016", To: "2016"}, 1, "Sino-Belarusian")

	if _, err := os.Stat(filepath.Join(seeds, "manifest.csv")); err != nil {
		fmt.Printf("go consumer: seeds not found at %s: skipping the seeds part\n", seeds)
		return
	}
	packed := filepath.Join(work, "seeds.quire")
	w, err = quire.Create(packed, nil)
	check(err)
	_, err = w.ImportCSV(filepath.Join(seeds, "manifest.csv"), nil)
	check(err)
	check(w.Finish())
	exercise(packed, 5, &quire.Filter{Sources: []string{"Belarus in Focus"}, From: "2016", To: "2017"}, 2,
		"Sino-Belarusian cooperation not unique for the region")
}
