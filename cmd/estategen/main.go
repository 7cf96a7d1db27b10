// Command estategen writes synthetic Azure estates for benchmarking cmkguard,
// and times the floor any JSON reader has to beat.
//
//	estategen -n 100000 -seed 1 -o estate.ndjson    write an estate of 100,000 resources
//	estategen -tokens estate.ndjson                 read every JSON token of a file, nothing else
//
// The estate is an NDJSON snapshot as `cmkguard collect` writes it (see
// package estategen). The token pass reads the file through the same
// buffered jsontext decoder, with the same options, that cmkguard's readers
// use, and does nothing with the tokens: the bare cost of tokenising, against
// which scan's time is measured.
package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"time"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/cmkguard/cmkguard/internal/estategen"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "estategen:", err)
		os.Exit(2)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("estategen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	n := fs.Int("n", 10000, "number of resources")
	seed := fs.Uint64("seed", 1, "random seed: the same size and seed give the same estate")
	out := fs.String("o", "-", "output file, - for standard output")
	now := fs.String("now", "2026-12-01T00:00:00Z", "collection time (RFC 3339); key dates are spread around it")
	noHeader := fs.Bool("no-header", false, "leave out the snapshot's collection header line")
	stats := fs.Bool("stats", false, "print resources by type to standard error")
	tokens := fs.String("tokens", "", "instead of writing an estate, read every JSON token of this file and report the count")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if *tokens != "" {
		return tokenPass(*tokens, stdout)
	}
	t, err := time.Parse(time.RFC3339, *now)
	if err != nil {
		return fmt.Errorf("-now: %w", err)
	}
	w := stdout
	var f *os.File
	if *out != "-" {
		if f, err = os.Create(*out); err != nil {
			return err
		}
		w = f
	}
	st, err := estategen.Write(w, estategen.Config{Resources: *n, Seed: *seed, Now: t, NoHeader: *noHeader})
	if f != nil {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		return err
	}
	if *stats {
		printStats(stderr, st)
	}
	return nil
}

// printStats lists the resource lines by type, most first.
func printStats(w io.Writer, st estategen.Stats) {
	types := make([]string, 0, len(st.ByType))
	for t := range st.ByType {
		types = append(types, t)
	}
	sort.Slice(types, func(i, j int) bool {
		if st.ByType[types[i]] != st.ByType[types[j]] {
			return st.ByType[types[i]] > st.ByType[types[j]]
		}
		return types[i] < types[j]
	})
	fmt.Fprintf(w, "%d resources, %d bytes (%.0f bytes a line)\n", st.Resources, st.Bytes, float64(st.Bytes)/float64(max(1, st.Resources)))
	for _, t := range types {
		fmt.Fprintf(w, "%8d %5.1f%%  %s\n", st.ByType[t], 100*float64(st.ByType[t])/float64(st.Resources), t)
	}
}

// tokenPass reads every token of the file with jsontext, as the input
// readers' decoder is set up, and prints how many there were.
func tokenPass(path string, stdout io.Writer) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	dec := jsontext.NewDecoder(bufio.NewReaderSize(f, 64<<10), jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true))
	count := 0
	for {
		if _, err := dec.ReadToken(); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return fmt.Errorf("%s: %w", path, err)
		}
		count++
	}
	_, err = fmt.Fprintf(stdout, "%s: %d tokens, %d bytes\n", path, count, dec.InputOffset())
	return err
}
