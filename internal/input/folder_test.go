package input

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestFolderReadsJSONFilesInLexicalOrder(t *testing.T) {
	dir := t.TempDir()
	vault := func(name string) string {
		return `{"id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/` + name + `", "properties": {}}`
	}
	files := map[string]string{
		"b.json":           "[" + vault("kv-b") + "]",
		"a/z.ndjson":       vault("kv-az") + "\n",
		"a/y.JSONL":        vault("kv-ay") + "\n",
		"c.json.bak":       vault("kv-bak"),
		"notes.txt":        "not read",
		"sub/dir.json/x.y": "a directory named like a file",
	}
	for name, text := range files {
		path := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	rec := &recorder{}
	if err := ReadPaths(context.Background(), []string{dir}, nil, rec); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range rec.resources {
		got = append(got, r.Name)
	}
	if want := []string{"kv-ay", "kv-az", "kv-b"}; !slices.Equal(got, want) {
		t.Errorf("read %v, want %v", got, want)
	}
	if len(rec.warnings) != 0 {
		t.Errorf("warnings: %v", rec.warnings)
	}
}
