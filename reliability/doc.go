// Package reliability holds no code: its tests prove, on the fake portal
// (b24test), what RELIABILITY.md claims: the SDK and the CLI lose nothing and
// write nothing twice under injected faults, survive kill -9, never leak the
// webhook secret, and stay bounded under load. Run the long versions with the
// B24REL_* variables described there.
package reliability
