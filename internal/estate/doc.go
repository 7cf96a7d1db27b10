// Package estate holds cmkguard's normalised model of an Azure estate: the
// resources every input source produces, and the key graph built from them —
// workloads, the keys they use, the vaults and Managed HSMs that hold those keys,
// the identities that reach them, and the grants, diagnostic settings, event
// subscriptions and alert rules around them.
//
// Sources (package input, live collection) produce Resources; Build links them
// into an Estate; rules read only the Estate. Nothing here evaluates a rule.
//
// Everything Azure compares case-insensitively (ARM ids, types, property names,
// enum values) is compared case-insensitively here, in one place: property names
// are lower-cased when a resource is decoded, ids and types through Lower.
package estate
