// Package conformance holds cmkguard's reviewed goldens. It has no code of its
// own, only tests:
//
//   - example_test.go reads the bundled example estate (examples/estate, a
//     fictional payments company in Azure's own JSON shapes) and holds every
//     rule of the catalog to at least one pass and one fail there, plus a table
//     of outcomes designed into the estate.
//   - corpus_test.go scans a conformance corpus of real Azure JSON written by
//     others (PSRule for Azure test data and azure-rest-api-specs examples, in
//     testdata/corpus with their NOTICE) and measures how often cmkguard's
//     results agree with the outcomes the corpus records, listing every known
//     disagreement with its reason. docs/CONFORMANCE.md reports the figure.
package conformance
