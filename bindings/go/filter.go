package quire

/*
#include <quire.h>
*/
import "C"

// Undated says what a Filter does with documents that have no date.
type Undated int

const (
	// UndatedAuto includes undated documents only when no date bound is set.
	UndatedAuto Undated = C.QUIRE_UNDATED_AUTO
	// UndatedInclude always includes them (if the source matches).
	UndatedInclude Undated = C.QUIRE_UNDATED_INCLUDE
	// UndatedExclude never includes them.
	UndatedExclude Undated = C.QUIRE_UNDATED_EXCLUDE
)

// Filter selects documents by source and date. The zero Filter, like a nil
// *Filter, matches every document.
type Filter struct {
	// Sources matches documents whose source is any of these names; when
	// empty the source does not matter.
	Sources []string
	// From and To are inclusive bounds, ISO 8601 or RFC 2822 dates of any
	// precision: From "2016" starts at 2016-01-01T00:00:00Z and To "2016"
	// ends at 2016-12-31T23:59:59Z. "" leaves that side open.
	From, To string
	// Undated says what to do with undated documents.
	Undated Undated
	// Match holds terms that every matching document has in its title or
	// text: words (runs of Unicode letters and digits) compared by simple
	// case folding, several words of one term one after another ("Belt and
	// Road"). docs/guide.md, "Terms", has the rules.
	Match []string
	// MatchAny holds terms of which at least one must occur, when not empty.
	MatchAny []string
}

// build makes the C filter; the caller frees it. A nil *Filter gives NULL,
// which the C functions read as "everything".
func (f *Filter) build() (*C.quire_filter, error) {
	if f == nil {
		return nil, nil
	}
	var cf *C.quire_filter
	if st := C.quire_filter_new(&cf); st != C.QUIRE_OK {
		return nil, newError(st, nil)
	}
	if err := f.apply(cf); err != nil {
		C.quire_filter_free(cf)
		return nil, err
	}
	return cf, nil
}

func (f *Filter) apply(cf *C.quire_filter) error {
	check := func(st C.int) error {
		if st != C.QUIRE_OK {
			return newError(st, C.quire_filter_errmsg(cf))
		}
		return nil
	}
	for _, name := range f.Sources {
		p, n := cstr(name)
		if err := check(C.quire_filter_add_source(cf, p, n)); err != nil {
			return err
		}
	}
	from, fromLen := cstr(f.From)
	if err := check(C.quire_filter_set_from(cf, from, fromLen)); err != nil {
		return err
	}
	to, toLen := cstr(f.To)
	if err := check(C.quire_filter_set_to(cf, to, toLen)); err != nil {
		return err
	}
	for _, term := range f.Match {
		p, n := cstr(term)
		if err := check(C.quire_filter_add_term(cf, p, n)); err != nil {
			return err
		}
	}
	for _, term := range f.MatchAny {
		p, n := cstr(term)
		if err := check(C.quire_filter_add_any_term(cf, p, n)); err != nil {
			return err
		}
	}
	return check(C.quire_filter_set_undated(cf, C.int(f.Undated)))
}
