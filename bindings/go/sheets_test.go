package quire_test

import (
	"archive/zip"
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"quire.dev/quire"
)

// sheetXML returns the XML of sheet n of the workbook at path.
func sheetXML(t *testing.T, path string, n int) string {
	t.Helper()
	z, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer z.Close()
	name := "xl/worksheets/sheet" + string(rune('0'+n)) + ".xml"
	for _, f := range z.File {
		if f.Name == name {
			r, err := f.Open()
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			b, err := io.ReadAll(r)
			if err != nil {
				t.Fatal(err)
			}
			return string(b)
		}
	}
	t.Fatalf("%s has no %s", path, name)
	return ""
}

func TestExportXLSX(t *testing.T) {
	docs := []quire.Document{
		{Source: "S; one", Date: "2016-04-22", Title: "=1+1", URL: "http://x.test", Text: "00123"},
		{Source: "S", Date: "2016-01", Title: "1e5", Text: "line\nbreak"},
	}
	c := openCorpus(t, writeCorpus(t, docs, &quire.WriterOptions{Order: quire.OrderInput}))
	path := filepath.Join(t.TempDir(), "out.xlsx")
	res, err := c.ExportXLSX(path, &quire.ExportOptions{Columns: []string{"id", "date", "title", "url", "text", "year", "month"}})
	if err != nil {
		t.Fatal(err)
	}
	if res != (quire.ExportResult{Rows: 2, Files: 1}) {
		t.Fatalf("result %+v", res)
	}
	xml := sheetXML(t, path, 1)
	for _, want := range []string{"<t>=1+1</t>", "<t>00123</t>", "<t>2016-01</t>", "<t>1e5</t>", "<pane "} {
		if !strings.Contains(xml, want) {
			t.Fatalf("sheet lacks %q:\n%s", want, xml)
		}
	}
	if strings.Contains(xml, "<f>") || strings.Contains(xml, "hyperlink") {
		t.Fatalf("a formula or a hyperlink in the sheet:\n%s", xml)
	}
	// 2016-04-22 is the day number 42482 with a date format.
	if !strings.Contains(xml, "<v>42482</v>") {
		t.Fatalf("2016-04-22 is not a date cell:\n%s", xml)
	}
	_, err = c.ExportXLSX(filepath.Join(t.TempDir(), "no", "x.xlsx"), nil)
	if !errors.Is(err, quire.ErrNotFound) {
		t.Fatalf("missing directory: %v", err)
	}
	_, err = c.ExportXLSX(path, &quire.ExportOptions{Columns: []string{"weekday"}})
	if !errors.Is(err, quire.ErrInvalid) {
		t.Fatalf("unknown column: %v", err)
	}
}

func TestExportSplitAndDerivedColumns(t *testing.T) {
	c := openCorpus(t, writeCorpus(t, sampleDocs(25), &quire.WriterOptions{Order: quire.OrderInput}))
	dir := t.TempDir()
	opts := &quire.ExportOptions{Columns: []string{"id", "date", "year", "month", "day", "datetime_utc", "date_precision"},
		Dialect: quire.DialectExcel, SplitRows: 10}
	res, err := c.ExportCSV(filepath.Join(dir, "p.csv"), opts)
	if err != nil {
		t.Fatal(err)
	}
	if res.Files != 3 || res.Rows != 25 || res.RowsOverSheet != 0 {
		t.Fatalf("result %+v", res)
	}
	last, err := os.ReadFile(filepath.Join(dir, "p-003.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(last, []byte("\xEF\xBB\xBFid,date,year,month,day,datetime_utc,date_precision\r\n20,")) {
		t.Fatalf("third file starts %q", last[:60])
	}
	// sampleDocs: document 15 is dated "2016-02-29", 10 "2016-01".
	first, _ := os.ReadFile(filepath.Join(dir, "p-002.csv"))
	for _, want := range []string{"\r\n10,\"2016-01\",2016,1,,2016-01-01T00:00:00Z,\"month\"\r\n",
		"\r\n15,\"2016-02-29\",2016,2,29,2016-02-29T00:00:00Z,\"day\"\r\n"} {
		if !bytes.Contains(first, []byte(want)) {
			t.Fatalf("p-002.csv lacks %q:\n%s", want, first)
		}
	}
	var buf bytes.Buffer
	if _, err := c.WriteCSV(&buf, opts); !errors.Is(err, quire.ErrInvalid) {
		t.Fatalf("WriteCSV split: %v", err)
	}
}
