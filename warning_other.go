//go:build !js

package b24

// warnClientSide does nothing outside GOOS=js: no browser can run this code.
func warnClientSide(*Hook) {}
