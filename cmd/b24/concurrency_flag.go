package main

import (
	"strconv"

	"github.com/spf13/pflag"
)

// concurrencyFlag is one int set by --concurrency or by a deprecated alias
// (list's --shards); it remembers the name the user gave, so that an error
// names that flag.
type concurrencyFlag struct {
	n    int
	used string // "--concurrency", "--shards"; "" when not given
	both bool   // both spellings given with different values
}

// register adds the flag under name to fs; usage is its help line.
func (f *concurrencyFlag) register(fs *pflag.FlagSet, name, usage string) {
	fs.Var(concurrencyName{f, name}, name, usage)
}

// name is the flag the user gave, --concurrency when none.
func (f *concurrencyFlag) name() string {
	if f.used == "" {
		return "--concurrency"
	}
	return f.used
}

type concurrencyName struct {
	f    *concurrencyFlag
	name string
}

func (v concurrencyName) String() string {
	if v.f == nil {
		return ""
	}
	return strconv.Itoa(v.f.n)
}

func (v concurrencyName) Type() string { return "int" }

func (v concurrencyName) Set(s string) error {
	n, err := strconv.ParseInt(s, 0, strconv.IntSize)
	if err != nil {
		return err
	}
	if v.f.used != "" && v.f.used != "--"+v.name && v.f.n != int(n) {
		v.f.both = true
	}
	v.f.n, v.f.used = int(n), "--"+v.name
	return nil
}
