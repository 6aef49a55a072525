package network

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
)

// rule is one line of `iptables -S`, split into arguments:
// "-A", chain, match and target options.
type rule []string

// chain is the chain the rule is in.
func (r rule) chain() string {
	if len(r) >= 2 && r[0] == "-A" {
		return r[1]
	}
	return ""
}

// opt is the value of the rule's first option named name ("-j",
// "--comment"), or "".
func (r rule) opt(name string) string {
	for i := 0; i+1 < len(r); i++ {
		if r[i] == name {
			return r[i+1]
		}
	}
	return ""
}

// deleteArgs are the arguments that delete the rule from its table.
func (r rule) deleteArgs(table string) []string {
	return append([]string{"-t", table, "-D"}, r[1:]...)
}

// splitRule splits a line of `iptables -S`, which double-quotes arguments
// with spaces (comments) and escapes quotes and backslashes inside them.
func splitRule(line string) (rule, error) {
	var (
		out    rule
		cur    strings.Builder
		inWord bool
		quoted bool
	)
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case quoted && c == '\\' && i+1 < len(line):
			i++
			cur.WriteByte(line[i])
		case quoted && c == '"':
			quoted = false
		case !quoted && c == '"':
			quoted, inWord = true, true
		case !quoted && (c == ' ' || c == '\t'):
			if inWord {
				out = append(out, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if quoted {
		return nil, fmt.Errorf("unbalanced quotes in iptables rule %q", line)
	}
	if inWord {
		out = append(out, cur.String())
	}
	return out, nil
}

// runIPTables runs tool (iptables or ip6tables) and returns its output.
// -w waits for the xtables lock that the legacy backend and the plugins
// take.
func runIPTables(ctx context.Context, tool string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, tool, append([]string{"-w"}, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", &iptablesError{args: args, stderr: strings.TrimSpace(stderr.String()), err: err}
	}
	return stdout.String(), nil
}

type iptablesError struct {
	args   []string
	stderr string
	err    error
}

func (e *iptablesError) Error() string {
	return fmt.Sprintf("iptables %s: %v: %s", strings.Join(e.args, " "), e.err, e.stderr)
}

func (e *iptablesError) Unwrap() error { return e.err }

// isNotExist tells whether err is iptables saying the rule or chain is not
// there (someone removed it first).
func isNotExist(err error) bool {
	var ie *iptablesError
	if !errors.As(err, &ie) {
		return false
	}
	return strings.Contains(ie.stderr, "does a matching rule exist") ||
		strings.Contains(ie.stderr, "No chain/target/match by that name") ||
		strings.Contains(ie.stderr, "doesn't exist")
}

// listRules returns the rules of table, of one chain when chain is set.
func listRules(ctx context.Context, tool, table, chain string) ([]rule, error) {
	args := []string{"-t", table, "-S"}
	if chain != "" {
		args = append(args, chain)
	}
	out, err := runIPTables(ctx, tool, args...)
	if err != nil {
		return nil, err
	}
	var rules []rule
	for _, line := range strings.Split(out, "\n") {
		if !strings.HasPrefix(line, "-A ") {
			continue
		}
		r, err := splitRule(line)
		if err != nil {
			return nil, err
		}
		rules = append(rules, r)
	}
	return rules, nil
}

// removeChain flushes and deletes a chain; one that is gone is fine.
func removeChain(ctx context.Context, tool, table, chain string) error {
	for _, op := range []string{"-F", "-X"} {
		if _, err := runIPTables(ctx, tool, "-t", table, op, chain); err != nil && !isNotExist(err) {
			return err
		}
	}
	return nil
}
