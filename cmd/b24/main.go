// Command b24 is the command-line client of the b24 SDK. Subcommands:
//
//	b24 ping        check the webhook or app: portal, user, scope, round trip
//	b24 call        call one method and print its result
//	b24 list        export every row of a list method (ndjson, csv, json)
//	b24 batch       run NDJSON commands through batches
//	b24 update      bulk update from CSV or NDJSON with a journal
//	b24 fake        run a fake Bitrix24 portal (package b24test) over HTTPS
//	b24 demo        export and update deals of an in-process fake portal
//	b24 version     print the version
//	b24 completion  print a bash or zsh completion script
//
// See docs/cli.md.
package main

import "os"

// main runs the command; signals.go says how SIGINT, SIGTERM and SIGHUP end it.
func main() {
	ctx, stop := signalContext()
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Environ())
	stop()
	os.Exit(code)
}
