package quire

/*
#include <quire.h>
*/
import "C"

import (
	"os"
	"runtime"
)

// AddCorpus adds every document of c to the writer by copying its
// compressed blocks verbatim: nothing is decompressed or compressed again
// (a block that loses a duplicate to WriterOptions.Dedup excepted). With
// OrderInput the documents come in the order of the calls (Add and
// AddCorpus mixed); with OrderClustered the copied blocks come first,
// ordered by the source and date of their first document, each corpus's
// own blocks keeping their order, then the documents given to Add.
//
// The writer keeps c's data until the writer is closed: c may be closed (or
// collected) right after the call. A damaged corpus gives ErrCorrupt (here
// or from Finish, which copies clustered blocks) and fails the writer.
func (w *Writer) AddCorpus(c *Corpus) error {
	if w == nil || w.ptr == nil {
		return errClosed("writer")
	}
	if c == nil || c.h == nil {
		return errorf(ErrInvalid, "corpus is nil")
	}
	defer runtime.KeepAlive(w)
	ptr, err := c.h.acquire()
	if err != nil {
		return err
	}
	runtime.KeepAlive(c) // c's cleanup must not run before the reference is taken
	// Released by Close, after the C writer has let go of the corpus.
	w.held.handles = append(w.held.handles, c.h)
	if st := C.quire_writer_add_corpus(w.ptr, ptr); st != C.QUIRE_OK {
		return newError(st, C.quire_writer_errmsg(w.ptr))
	}
	return nil
}

// AppendOptions tunes a Writer made by OpenAppend; zero fields keep what
// the corpus was written with (codec, level, block size, order) or
// libquire's defaults.
type AppendOptions struct {
	// Dedup drops each new document that duplicates one before it, the
	// corpus's own documents included; Similarity is the near threshold
	// (0: the default).
	Dedup      DupKind
	Similarity float64
	Threads    int // compressing threads; 0: the number of cores
	UTF8       UTF8Policy
	// Progress follows Finish, as WriterOptions.Progress does.
	Progress ProgressFunc
}

// OpenAppend opens a Writer that appends to the corpus at path: its
// documents keep their numbers and its blocks are copied verbatim; the
// documents given to Add or ImportCSV follow, compressed with the corpus's
// own codec and dictionaries. Finish replaces the file atomically; a
// Writer closed without Finish leaves it unchanged. opts may be nil.
func OpenAppend(path string, opts *AppendOptions) (*Writer, error) {
	w, err := openWriter(path, func(p *C.char, out **C.quire_writer) C.int {
		return C.quire_writer_open_append(p, out)
	}, opts.apply)
	if err == nil && opts != nil {
		w.progress = opts.Progress
	}
	return w, err
}

func (o *AppendOptions) apply(ptr *C.quire_writer) error {
	if o == nil {
		return nil
	}
	return applyShared(ptr, o.Threads, o.Dedup, o.Similarity, o.UTF8)
}

// MergeOptions tunes Merge; the zero value clusters by source and date and
// keeps every document.
type MergeOptions struct {
	// KeepOrder concatenates the corpora in the order given instead of
	// ordering their blocks by source and date.
	KeepOrder bool
	// Dedup drops each document that duplicates one kept before it, in the
	// order given; Similarity is the near threshold (0: the default).
	Dedup      DupKind
	Similarity float64
	// Threads compress the blocks that lose a duplicate (0: the number of
	// cores).
	Threads         int
	NoWordSummaries bool
	// Progress follows the writing of the merged corpus, as
	// WriterOptions.Progress does.
	Progress ProgressFunc
}

// MergeStats tells what Merge wrote.
type MergeStats struct {
	Docs    uint64 // documents in the merged corpus
	Dropped uint64 // duplicates left out (MergeOptions.Dedup)
}

// Merge writes to out one corpus holding the documents of the corpora at
// inputs, copying their compressed blocks (see AddCorpus), as `quire merge`
// does. out may not be one of the inputs (OpenAppend grows a corpus). Any
// failure leaves no file at out. opts may be nil.
func Merge(out string, inputs []string, opts *MergeOptions) (MergeStats, error) {
	if len(inputs) == 0 {
		return MergeStats{}, errorf(ErrInvalid, "no corpus to merge")
	}
	if outInfo, err := os.Stat(out); err == nil {
		for _, in := range inputs {
			if inInfo, err := os.Stat(in); err == nil && os.SameFile(outInfo, inInfo) {
				return MergeStats{}, errorf(ErrInvalid, "%s is also an input: write elsewhere, or use OpenAppend", out)
			}
		}
	}
	if opts == nil {
		opts = &MergeOptions{}
	}
	wopts := &WriterOptions{Dedup: opts.Dedup, Similarity: opts.Similarity,
		Threads: opts.Threads, NoWordSummaries: opts.NoWordSummaries, Progress: opts.Progress}
	if opts.KeepOrder {
		wopts.Order = OrderInput
	}
	w, err := Create(out, wopts)
	if err != nil {
		return MergeStats{}, err
	}
	defer w.Close()
	for _, in := range inputs {
		if err := mergeOne(w, in); err != nil {
			return MergeStats{}, err
		}
	}
	if err := w.Finish(); err != nil {
		return MergeStats{}, err
	}
	return MergeStats{Docs: w.Count(), Dropped: w.Dropped()}, nil
}

// mergeOne adds the corpus at path to w, naming path in an error.
func mergeOne(w *Writer, path string) error {
	c, err := Open(path)
	if err != nil {
		return err
	}
	defer c.Close() // the writer keeps what it needs
	if err := w.AddCorpus(c); err != nil {
		if e, ok := err.(*Error); ok {
			return &Error{Code: e.Code, Message: path + ": " + e.Message}
		}
		return err
	}
	return nil
}
