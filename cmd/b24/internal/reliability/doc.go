// Package reliability holds no code: its tests run the real b24 binary
// against the fake portal (b24test) and prove what RELIABILITY.md claims of
// the CLI: kill -9 at random moments loses nothing and writes nothing twice,
// and no output, file or error path shows the webhook secret. The SDK's
// suite is the core module's reliability package; both share
// internal/reltest.
package reliability
