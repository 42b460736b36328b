package quire_test

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode"
)

// Functions of include/quire.h the Go binding deliberately leaves out.
var unbound = map[string]string{
	"quire_set_allocator": "Go code cannot serve C's allocations safely (a callback per malloc, even from library threads)",
	"quire_export_to_fd":  "WriteCSV takes any io.Writer, *os.File included",
	// WriteCSV and ExportReader pull the CSV with quire_export_read: no
	// callback trampoline (verify and salvage keep theirs: they have no
	// pull form).
	"quire_export_to_callback": "ExportReader and WriteCSV read the CSV with quire_export_read",
	"quire_filter_set_range":   "Filter.From and To take ISO 8601 text down to the second, which says the same",
	"quire_cursor_next":        "Cursor.Next moves in batches with quire_cursor_next_batch, one cgo call per batch",
	// Splitting an archive into shards is a one-off layout job for a cluster:
	// `quire split` and Python's quire.split do it (issue 14).
	"quire_split_new":          "shards are cut with `quire split` or Python's quire.split",
	"quire_split_free":         "shards are cut with `quire split` or Python's quire.split",
	"quire_split_set_shards":   "shards are cut with `quire split` or Python's quire.split",
	"quire_split_set_by":       "shards are cut with `quire split` or Python's quire.split",
	"quire_split_set_max_size": "shards are cut with `quire split` or Python's quire.split",
	"quire_split_set_level":    "shards are cut with `quire split` or Python's quire.split",
	"quire_split_set_threads":  "shards are cut with `quire split` or Python's quire.split",
	"quire_split_corpus":       "shards are cut with `quire split` or Python's quire.split",
	"quire_split_csv":          "shards are cut with `quire split` or Python's quire.split",
	"quire_split_shard_count":  "shards are cut with `quire split` or Python's quire.split",
	"quire_split_shard_name":   "shards are cut with `quire split` or Python's quire.split",
	"quire_split_errmsg":       "shards are cut with `quire split` or Python's quire.split",
}

var cCall = regexp.MustCompile(`\b(quire_\w+)\s*\(`)

// apiDescription is the part of api/quire-api.json (made from
// include/quire.h by scripts/api-describe.py, kept current by ctest
// api_description) that the test reads.
type apiDescription struct {
	Functions []struct {
		Name         string `json:"name"`
		Experimental bool   `json:"experimental"`
		Params       []struct {
			Type string `json:"type"`
		} `json:"params"`
	} `json:"functions"`
	Constants []struct {
		Name  string `json:"name"`
		Type  string `json:"type"`
		Value any    `json:"value"` // json.Number, or a string
	} `json:"constants"`
}

// readAPI reads the description: QUIRE_API_JSON names one (an installed
// header's, or a test's); by default, the repository's.
func readAPI(t *testing.T) apiDescription {
	path := filepath.Join("..", "..", "api", "quire-api.json")
	if p := os.Getenv("QUIRE_API_JSON"); p != "" {
		path = p
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("%v (run scripts/api-describe.py, or set QUIRE_API_JSON)", err)
	}
	defer f.Close()
	var api apiDescription
	dec := json.NewDecoder(f)
	dec.UseNumber()
	if err := dec.Decode(&api); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return api
}

// headerArity gives every QUIRE_API function of include/quire.h as name ->
// number of parameters, and the experimental ones (#ifdef
// QUIRE_EXPERIMENTAL), which the binding may leave out.
func headerArity(t *testing.T) (map[string]int, map[string]bool) {
	decls, experimental := map[string]int{}, map[string]bool{}
	for _, f := range readAPI(t).Functions {
		decls[f.Name] = len(f.Params)
		experimental[f.Name] = f.Experimental
	}
	if len(decls) < 50 {
		t.Fatalf("the description holds only %d functions", len(decls))
	}
	return decls, experimental
}

// bindingCalls returns every call of a libquire function in the binding, in
// Go (C.quire_x(...)) and in the C of the cgo preambles, with its number of
// arguments and where it is.
func bindingCalls(t *testing.T) map[string][]call {
	calls, _ := bindingUses(t)
	return calls
}

// bindingUses returns bindingCalls and every C name the binding's Go code
// uses as a value (C.QUIRE_ECORRUPT), each with where it is.
func bindingUses(t *testing.T) (map[string][]call, map[string]string) {
	fset := token.NewFileSet()
	files, _ := filepath.Glob("*.go")
	calls := map[string][]call{}
	values := map[string]string{}
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if sel, ok := n.(*ast.SelectorExpr); ok {
				if x, ok := sel.X.(*ast.Ident); ok && x.Name == "C" {
					values[sel.Sel.Name] = fset.Position(sel.Pos()).String()
				}
			}
			if c, ok := n.(*ast.CallExpr); ok {
				if sel, ok := c.Fun.(*ast.SelectorExpr); ok {
					if x, ok := sel.X.(*ast.Ident); ok && x.Name == "C" {
						calls[sel.Sel.Name] = append(calls[sel.Sel.Name], call{fset.Position(c.Pos()).String(), len(c.Args)})
					}
				}
			}
			return true
		})
		for _, decl := range f.Decls {
			if g, ok := decl.(*ast.GenDecl); ok && g.Tok == token.IMPORT && g.Doc != nil {
				for name, cs := range preambleCalls(name, g.Doc.Text()) {
					calls[name] = append(calls[name], cs...)
				}
			}
		}
	}
	return calls, values
}

type call struct {
	where string
	args  int
}

// preambleCalls finds the quire_ calls in C source and counts their
// arguments.
func preambleCalls(file, src string) map[string][]call {
	calls := map[string][]call{}
	for _, m := range cCall.FindAllStringSubmatchIndex(src, -1) {
		name := src[m[2]:m[3]]
		calls[name] = append(calls[name], call{file + " (C preamble)", countArgs(src[m[1]:])})
	}
	return calls
}

// countArgs counts the arguments of a call whose text follows its opening
// parenthesis: top-level commas plus one, or 0 for "()".
func countArgs(s string) int {
	depth, args, content := 1, 1, false
	for _, r := range s {
		switch r {
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				if !content {
					return 0
				}
				return args
			}
		case ',':
			if depth == 1 {
				args++
			}
		}
		if !unicode.IsSpace(r) {
			content = true
		}
	}
	return -1
}

func TestBindingMatchesHeader(t *testing.T) {
	header, experimental := headerArity(t)
	calls := bindingCalls(t)
	for name, cs := range calls {
		if !strings.HasPrefix(name, "quire_") || strings.HasPrefix(name, "quire_go_") {
			continue // C types, macros and the binding's own C helpers
		}
		want, ok := header[name]
		if !ok {
			t.Errorf("%s calls %s, which include/quire.h does not declare", cs[0].where, name)
			continue
		}
		for _, c := range cs {
			if c.args != want {
				t.Errorf("%s calls %s with %d arguments; quire.h declares %d", c.where, name, c.args, want)
			}
		}
	}
	for name := range header {
		_, used := calls[name]
		reason, left := unbound[name]
		switch {
		case !used && !left && !experimental[name]:
			t.Errorf("%s is in include/quire.h but the Go binding does not bind it", name)
		case used && left:
			t.Errorf("%s is bound now: remove it from the unbound list (%s)", name, reason)
		}
	}
}

// The binding has a Code for every status code of the header: a negative
// QUIRE_E* constant.
func TestBindingHasEveryStatusCode(t *testing.T) {
	_, values := bindingUses(t)
	codes := 0
	for _, c := range readAPI(t).Constants {
		n, ok := c.Value.(json.Number)
		if !ok || c.Type != "int" || !strings.HasPrefix(c.Name, "QUIRE_E") {
			continue
		}
		v, err := n.Int64()
		if err != nil || v >= 0 {
			continue
		}
		codes++
		if _, ok := values[c.Name]; !ok {
			t.Errorf("%s (%d) is a status code of include/quire.h without a Code in errors.go", c.Name, v)
		}
	}
	if codes < 13 {
		t.Errorf("the description holds only %d status codes", codes)
	}
}
