package quire_test

import (
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
	"quire_set_allocator":    "Go code cannot serve C's allocations safely (a callback per malloc, even from library threads)",
	"quire_export_to_fd":     "WriteCSV takes any io.Writer, *os.File included",
	"quire_filter_set_range": "Filter.From and To take ISO 8601 text down to the second, which says the same",
	"quire_cursor_next":      "Cursor.Next moves in batches with quire_cursor_next_batch, one cgo call per batch",
}

var (
	apiDecl = regexp.MustCompile(`QUIRE_API\s[^;{}#]*?\b(quire_\w+)\s*\(([^)]*)\)\s*;`)
	cCall   = regexp.MustCompile(`\b(quire_\w+)\s*\(`)
)

// headerArity parses every QUIRE_API declaration of include/quire.h into
// name -> number of parameters.
func headerArity(t *testing.T) map[string]int {
	path := filepath.Join("..", "..", "include", "quire.h")
	if dir := os.Getenv("QUIRE_INCLUDE_DIR"); dir != "" {
		path = filepath.Join(dir, "quire.h")
	}
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	text := regexp.MustCompile(`(?s)/\*.*?\*/`).ReplaceAllString(string(src), " ")
	decls := map[string]int{}
	for _, m := range apiDecl.FindAllStringSubmatch(text, -1) {
		params := strings.TrimSpace(m[2])
		switch params {
		case "void":
			decls[m[1]] = 0
		default:
			decls[m[1]] = strings.Count(params, ",") + 1
		}
	}
	// Every QUIRE_API outside the #define block must have been understood.
	uses := 0
	for _, line := range strings.Split(text, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), "#") {
			uses += strings.Count(line, "QUIRE_API ")
		}
	}
	if uses != len(decls) || len(decls) < 50 {
		t.Fatalf("parsed %d declarations of %d QUIRE_API uses in %s", len(decls), uses, path)
	}
	return decls
}

// bindingCalls returns every call of a libquire function in the binding, in
// Go (C.quire_x(...)) and in the C of the cgo preambles, with its number of
// arguments and where it is.
func bindingCalls(t *testing.T) map[string][]call {
	fset := token.NewFileSet()
	files, _ := filepath.Glob("*.go")
	calls := map[string][]call{}
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
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
	return calls
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
	header := headerArity(t)
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
		case !used && !left:
			t.Errorf("%s is in include/quire.h but the Go binding does not bind it", name)
		case used && left:
			t.Errorf("%s is bound now: remove it from the unbound list (%s)", name, reason)
		}
	}
}
