package main

import (
	"bufio"
	"context"
	"fmt"
	"strings"
)

// isDelete reports whether method deletes records: its last part is
// "delete" or starts with it (crm.deal.delete, tasks.task.delete,
// crm.item.delete, entity.item.delete).
func isDelete(method string) bool {
	i := strings.LastIndexByte(method, '.')
	return strings.HasPrefix(strings.ToLower(method[i+1:]), "delete")
}

// confirm asks before a destructive action: "what" describes it. With
// yes it goes on at once; on a terminal (stdin and stderr) it asks and goes
// on only after "y" or "yes"; anywhere else it refuses (exit 2), as a
// script that did not say --yes cannot have meant it.
func (c *cli) confirm(ctx context.Context, what string, yes bool) error {
	if yes {
		return nil
	}
	if !isTerminal(c.stdin) || !isTerminal(c.stderr) {
		return usagef("%s: refused without --yes (no terminal to ask on)", what)
	}
	fmt.Fprintf(c.stderr, "%s. Continue? [y/N] ", what)
	answer := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(c.stdin).ReadString('\n')
		answer <- line
	}()
	select {
	case <-ctx.Done():
		fmt.Fprintln(c.stderr)
		return ctx.Err()
	case line := <-answer:
		switch strings.ToLower(strings.TrimSpace(line)) {
		case "y", "yes":
			return nil
		}
		return usagef("%s: not confirmed; nothing was sent", what)
	}
}

// deleteCount counts the delete commands of methods.
func deleteCount(methods []string) (n int, example string) {
	for _, m := range methods {
		if isDelete(m) {
			if n == 0 {
				example = m
			}
			n++
		}
	}
	return n, example
}
