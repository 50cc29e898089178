// Package reliability holds no code: its tests prove on a real Redis what
// RELIABILITY.md claims of redislimit: no key or value it stores holds the
// webhook secret, absurd operating figures pause a method for every process
// at most a window each, and no exported type prints the secret. The SDK's
// suite is the core module's reliability package; both share
// internal/reltest.
package reliability
