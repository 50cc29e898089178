// Package rules holds checks of the project's rules over the whole tree,
// run by its tests: the core module (the repository root) requires only the
// standard library and golang.org/x/... (docs/modules.md), and no function
// outside tests is longer than MaxFuncLines (CONTRIBUTING.md).
package rules
