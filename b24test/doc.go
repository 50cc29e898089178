// Package b24test is a fake Bitrix24 portal for tests: an in-process HTTPS
// server that speaks the REST v2 and v3 webhook protocol, holds seeded CRM
// and task data, enforces the portal's limits and injects faults.
//
// The package is being built; see registry.go for the contract between the
// server and the method families.
package b24test
