// Package azure collects an Azure estate live, read-only, for cmkguard: the
// inventory from Azure Resource Graph (only the resource types the rules read,
// paged with $skipToken, role assignments and definitions from
// authorizationresources, subscriptions with their management-group chain from
// resourcecontainers), and from Azure Resource Manager with bounded
// concurrency: keys per Key Vault and Managed HSM (list, then GET each for its
// metadata), diagnostic settings and resource-scoped Event Grid subscriptions
// per vault, event subscriptions of Key Vault system topics, SQL servers' and
// managed instances' encryption protectors, and App Service Key Vault
// reference status.
//
// It never reads a secret value, key material, a key export or backup, or an
// app-setting value: a pipeline policy (readOnlyPolicy) refuses any request
// other than GET, and the Resource Graph query POST, and any path that could
// return such data, before it leaves the process.
//
// Requests are paced per lane: Resource Graph by its per-user quota headers
// (x-ms-user-quota-remaining, x-ms-user-quota-resets-after), ARM by a token
// bucket per subscription corrected by x-ms-ratelimit-remaining-subscription-reads.
// Throttled (429) and unavailable (503) answers are retried after the server's
// hint. Everything that could not be read is recorded in the snapshot header's
// coverage with the error and the built-in role that would fix it; a failing
// subscription or vault never stops the rest.
//
// The output is an NDJSON snapshot in the shapes Azure returns, which package
// input reads like any other snapshot.
package azure
