package quire

/*
#include <quire.h>
*/
import "C"

import (
	"fmt"
	"runtime"
)

// DupKind is a kind of duplicate, or a set of them (bits may be or'ed).
type DupKind int

const (
	// DupURL: the same URL once normalised (scheme and host case, http and
	// https, default port, fragment, trailing slash and tracking parameters
	// such as utm_*, fbclid and gclid ignored).
	DupURL DupKind = C.QUIRE_DUP_URL
	// DupText: the same text after Unicode NFC and white-space collapsing.
	DupText DupKind = C.QUIRE_DUP_TEXT
	// DupNear: texts whose 5-word shingles have an estimated Jaccard
	// similarity of at least the threshold.
	DupNear DupKind = C.QUIRE_DUP_NEAR
	// DupAll is the three kinds.
	DupAll DupKind = C.QUIRE_DUP_ALL
)

// DefaultSimilarity is the near-duplicate threshold used when none is given.
const DefaultSimilarity = float64(C.QUIRE_DEFAULT_SIMILARITY)

// String names a single kind: "url", "text" or "near".
func (k DupKind) String() string {
	switch k {
	case DupURL:
		return "url"
	case DupText:
		return "text"
	case DupNear:
		return "near"
	}
	return fmt.Sprintf("DupKind(%d)", int(k))
}

// DupMember is one document of a group of duplicates.
type DupMember struct {
	Corpus     int     // index of its corpus among those given to FindDups
	Doc        uint64  // its document number in that corpus
	Similarity float64 // to the group's first document (1 for url and text)
}

// DupGroup is a group of duplicate documents of one kind. Members[0] is the
// first in input order, the one a Writer with Dedup keeps.
type DupGroup struct {
	Kind    DupKind
	Members []DupMember
}

// DupsOptions tunes FindDups; zero fields keep the defaults (every kind,
// DefaultSimilarity).
type DupsOptions struct {
	Kinds      DupKind
	Similarity float64
}

// FindDups reads the corpora in the order given, each in document order,
// and returns the groups of duplicates among all their documents, ordered
// by kind (url, text, near), then by first document. opts may be nil.
func FindDups(opts *DupsOptions, corpora ...*Corpus) ([]DupGroup, error) {
	var d *C.quire_dups
	if st := C.quire_dups_new(&d); st != C.QUIRE_OK {
		return nil, newError(st, nil)
	}
	defer C.quire_dups_free(d)
	check := func(st C.int) error {
		if st != C.QUIRE_OK {
			return newError(st, C.quire_dups_errmsg(d))
		}
		return nil
	}
	if opts != nil && opts.Kinds != 0 {
		if err := check(C.quire_dups_set_kinds(d, C.int(opts.Kinds))); err != nil {
			return nil, err
		}
	}
	if opts != nil && opts.Similarity != 0 {
		if err := check(C.quire_dups_set_similarity(d, C.double(opts.Similarity))); err != nil {
			return nil, err
		}
	}
	for i, c := range corpora {
		if c == nil {
			return nil, errorf(ErrInvalid, "corpus %d is nil", i)
		}
		err := c.with(func(p *C.quire_corpus) error {
			return check(C.quire_dups_add_corpus(d, p))
		})
		if err != nil {
			return nil, err
		}
	}
	count := uint64(C.quire_dups_group_count(d))
	groups := make([]DupGroup, 0, count)
	for g := uint64(0); g < count; g++ {
		var kind C.int
		var size C.uint64_t
		if err := check(C.quire_dups_group(d, C.uint64_t(g), &kind, &size)); err != nil {
			return nil, err
		}
		group := DupGroup{Kind: DupKind(kind), Members: make([]DupMember, size)}
		for m := range group.Members {
			var corpus C.uint32_t
			var doc C.uint64_t
			var sim C.double
			if err := check(C.quire_dups_member(d, C.uint64_t(g), C.uint64_t(m), &corpus, &doc, &sim)); err != nil {
				return nil, err
			}
			group.Members[m] = DupMember{Corpus: int(corpus), Doc: uint64(doc), Similarity: float64(sim)}
		}
		groups = append(groups, group)
	}
	return groups, nil
}

// Dropped returns the number of documents not added because they duplicate
// one kept (WriterOptions.Dedup).
func (w *Writer) Dropped() uint64 {
	if w.ptr == nil {
		return 0
	}
	defer runtime.KeepAlive(w)
	return uint64(C.quire_writer_dropped(w.ptr))
}
