package report

import (
	"bytes"
	"encoding/csv"
	"encoding/xml"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

const (
	hostileName = "<script>alert(1)</script>"
	hostileTag  = `=HYPERLINK("http://x")`
)

// TestHostileStringsInert renders the shared input, which holds a storage
// account named <script>alert(1)</script> tagged dataClassification =
// =HYPERLINK("http://x") (and a second one named =cmd|' /C calc'!A0), and
// checks that every format shows them as text that does nothing.
func TestHostileStringsInert(t *testing.T) {
	in := loadInput(t)

	t.Run("html", func(t *testing.T) {
		out := string(render(t, in, "html"))
		if strings.Contains(out, hostileName) || strings.Contains(out, "<b>ops</b>") || strings.Contains(out, "<img src=x") {
			t.Fatal("a hostile string reached the HTML unescaped")
		}
		doc, err := html.Parse(strings.NewReader(out))
		if err != nil {
			t.Fatal(err)
		}
		var scripts, imgs int
		var texts []string
		var walk func(*html.Node)
		walk = func(n *html.Node) {
			if n.Type == html.ElementNode {
				switch n.Data {
				case "script":
					scripts++
				case "img", "iframe", "object", "embed", "link", "a":
					imgs++
				}
				for _, a := range n.Attr {
					if strings.HasPrefix(strings.ToLower(a.Key), "on") {
						t.Errorf("element %s has an event-handler attribute %s", n.Data, a.Key)
					}
				}
			}
			if n.Type == html.TextNode {
				texts = append(texts, n.Data)
			}
			for c := n.FirstChild; c != nil; c = c.NextSibling {
				walk(c)
			}
		}
		walk(doc)
		if scripts != 1 || imgs != 0 {
			t.Errorf("the page has %d script elements (want 1, its own) and %d loading or link elements (want 0)", scripts, imgs)
		}
		all := strings.Join(texts, "\n")
		for _, want := range []string{hostileName, hostileTag} {
			if !strings.Contains(all, want) {
				t.Errorf("%q is not shown as text", want)
			}
		}
	})

	t.Run("markdown", func(t *testing.T) {
		out := string(render(t, in, "markdown"))
		if strings.Contains(out, "<script") || strings.Contains(out, "<b>") || strings.Contains(out, "<img") {
			t.Error("raw HTML reached the Markdown")
		}
		if !strings.Contains(out, "&lt;script&gt;alert\\(1\\)&lt;/script&gt;") {
			t.Error("the hostile name is not shown escaped")
		}
		if strings.Contains(out, "http://") {
			t.Error("a URL in a message would be autolinked")
		}
		// Every table row keeps its cell count: no name or message adds a cell.
		for _, line := range strings.Split(out, "\n") {
			if strings.HasPrefix(line, "| critical ") || strings.HasPrefix(line, "| high ") || strings.HasPrefix(line, "| low ") {
				if n := len(regexp.MustCompile(`(^|[^\\])\|`).FindAllString(line, -1)); n != 6 {
					t.Errorf("row has %d unescaped pipes, want 6: %s", n, line)
				}
			}
		}
	})

	t.Run("csv", func(t *testing.T) {
		rows, err := csv.NewReader(bytes.NewReader(render(t, in, "csv"))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		var sawName, sawTag bool
		for i, row := range rows {
			if len(row) != len(csvHeader) {
				t.Fatalf("row %d has %d cells, want %d", i, len(row), len(csvHeader))
			}
			for _, cell := range row {
				if t0 := strings.TrimLeft(cell, " "); t0 != "" && strings.ContainsRune(formulaStart, []rune(t0)[0]) {
					t.Errorf("row %d: cell %q would be read as a formula", i, cell)
				}
				sawName = sawName || cell == "'=cmd|' /C calc'!A0"
				sawTag = sawTag || strings.Contains(cell, hostileTag)
			}
		}
		if !sawName || !sawTag {
			t.Errorf("the hostile name (prefixed: %v) or tag (present: %v) is missing from the CSV", sawName, sawTag)
		}
	})
}

func TestSpreadsheetSafe(t *testing.T) {
	for in, want := range map[string]string{
		hostileTag:               hostileTag[:0] + "'" + hostileTag,
		"+1":                     "'+1",
		"-2+3":                   "'-2+3",
		"@SUM(A1)":               "'@SUM(A1)",
		"\t=1":                   "'\t=1",
		"\r=1":                   "'\r=1",
		"  =1":                   "'  =1",
		"＝1":                     "'＝1",
		"sql-pay":                "sql-pay",
		"/subscriptions/x":       "/subscriptions/x",
		"":                       "",
		"classified \"=SUM(1)\"": "classified \"=SUM(1)\"",
		"dataClassification=pci": "dataClassification=pci",
	} {
		if got := SpreadsheetSafe(in); got != want {
			t.Errorf("SpreadsheetSafe(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestMarkdownEscape(t *testing.T) {
	for in, want := range map[string]string{
		"plain words":            "plain words",
		"a|b":                    `a\|b`,
		"*bold* _it_ ~s~ `code`": `\*bold\* \_it\_ \~s\~ \` + "`code\\`",
		"[x](http://e)":          `\[x\]\(http\://e\)`,
		"<b>&amp;":               "&lt;b&gt;&amp;amp;",
		"line\nbreak":            "line break",
		"see www.example.com":    `see www\.example.com`,
		"@everyone":              "@\u200beveryone",
		`back\slash`:             `back\\slash`,
		"# not a heading !":      `\# not a heading \!`,
	} {
		if got := mdEscape(in); got != want {
			t.Errorf("mdEscape(%q) = %q, want %q", in, got, want)
		}
	}
	if got := mdCode("cmk-required"); got != "`cmk-required`" {
		t.Errorf("mdCode(rule id) = %q", got)
	}
	if got := mdCode("x`|y"); got != mdEscape("x`|y") {
		t.Errorf("mdCode of a non-id = %q, want it escaped as text", got)
	}
}

// TestJUnitStructure reads the JUnit report back: a suite per catalog rule, a
// case per result, failures and skips counted as the results say.
func TestJUnitStructure(t *testing.T) {
	in := loadInput(t)
	var doc junitSuites
	if err := xml.Unmarshal(render(t, in, "junit"), &doc); err != nil {
		t.Fatalf("JUnit output is not XML: %v", err)
	}
	if len(doc.Suites) != len(testCatalog()) {
		t.Errorf("%d suites, want one per catalog rule (%d)", len(doc.Suites), len(testCatalog()))
	}
	if doc.Tests != in.Summary.Results || doc.Failures != in.Summary.Fail || doc.Skipped != in.Summary.Unknown+in.Summary.Waived {
		t.Errorf("totals tests=%d failures=%d skipped=%d, want %d %d %d", doc.Tests, doc.Failures, doc.Skipped,
			in.Summary.Results, in.Summary.Fail, in.Summary.Unknown+in.Summary.Waived)
	}
	found := false
	for _, s := range doc.Suites {
		if s.Tests != len(s.Cases) {
			t.Errorf("suite %s: tests=%d but %d cases", s.Name, s.Tests, len(s.Cases))
		}
		for _, c := range s.Cases {
			if strings.HasSuffix(c.Name, "/"+hostileName) && s.Name == "cmk-required" {
				found = c.Failure != nil && strings.Contains(c.Failure.Message, hostileTag)
			}
		}
	}
	if !found {
		t.Error("the hostile storage account's cmk-required failure did not survive the round trip intact")
	}
}
