// Command modproxy serves the working tree's modules from a file GOPROXY, so
// that scripts/test can test each nested module with GOWORK=off against the
// root module as it is on disk, without a network and without touching the
// committed go.mod and go.sum files (docs/modules.md):
//
//	go run ./scripts/modproxy -proxy DIR -modfiles DIR
//
// Every module of the tree (each directory holding a go.mod) is written to
// -proxy at one pseudo-version derived from the hash of the whole tree, so
// a changed tree is a new version and the module cache never serves a stale
// one. Under -modfiles go.mod and go.sum copies are written for each module
// (at its directory relative to the root), their requirements of the tree's
// modules pinned to that version: pass them with -modfile.
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
)

func main() {
	proxy := flag.String("proxy", "", "directory of the file GOPROXY to write")
	modfiles := flag.String("modfiles", "", "directory for go.mod/go.sum copies pinned to the served versions")
	root := flag.String("root", ".", "root of the tree")
	flag.Parse()
	if *proxy == "" || *modfiles == "" || flag.NArg() > 0 {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(*root, *proxy, *modfiles); err != nil {
		log.Fatal("modproxy: ", err)
	}
}

// run finds the tree's modules, serves them and writes the pinned copies.
func run(root, proxy, modfiles string) error {
	mods, err := findModules(root)
	if err != nil {
		return err
	}
	version := pseudoVersion(mods)
	for _, m := range mods {
		m.goMod = pin(m.goMod, mods, version)
		if err := serve(proxy, m, version); err != nil {
			return err
		}
		if err := writeModfiles(root, modfiles, m); err != nil {
			return err
		}
	}
	fmt.Println(version)
	return nil
}
