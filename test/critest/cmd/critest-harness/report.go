package main

import (
	"encoding/xml"
	"flag"
	"fmt"
	"os"
	"regexp"
	"strings"
)

// junitReport is the part of Ginkgo's JUnit report the summary needs.
type junitReport struct {
	Suites []struct {
		Cases []junitCase `xml:"testcase"`
	} `xml:"testsuite"`
}

type junitCase struct {
	Name    string `xml:"name,attr"`
	Status  string `xml:"status,attr"`
	Failure *struct {
		Message string `xml:"message,attr"`
		Type    string `xml:"type,attr"`
	} `xml:"failure"`
	Error *struct {
		Message string `xml:"message,attr"`
	} `xml:"error"`
	Skipped *struct {
		Message string `xml:"message,attr"`
	} `xml:"skipped"`
}

// reportCmd summarises a Ginkgo JUnit report. Specs are the "[It]" cases;
// suite nodes ([BeforeSuite], ...) count only when they fail. Specs whose
// name matches --not-run (critest's own "benchmark" skip: the benchmarks
// are not part of the validation suite) are left out of every count.
func reportCmd(args []string) (int, error) {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	notRun := fs.String("not-run", "benchmark", "regular expression of spec names critest never runs in validation mode")
	verbose := fs.Bool("v", false, "also list the specs that were skipped")
	if err := fs.Parse(args); err != nil {
		return 0, err
	}
	if fs.NArg() != 1 {
		return 0, fmt.Errorf("report: want one JUnit file")
	}
	var excl *regexp.Regexp
	if *notRun != "" {
		re, err := regexp.Compile(*notRun)
		if err != nil {
			return 0, fmt.Errorf("report: --not-run: %w", err)
		}
		excl = re
	}
	data, err := os.ReadFile(fs.Arg(0))
	if err != nil {
		return 0, err
	}
	var rep junitReport
	if err := xml.Unmarshal(data, &rep); err != nil {
		// Ginkgo writes a <testsuites> root; accept a bare <testsuite> too.
		return 0, fmt.Errorf("report: parse %s: %w", fs.Arg(0), err)
	}
	var passed, failed, skipped, total int
	var failures, skips []string
	for _, s := range rep.Suites {
		for _, c := range s.Cases {
			isSpec := strings.HasPrefix(c.Name, "[It] ")
			name := strings.TrimPrefix(c.Name, "[It] ")
			if isSpec && excl != nil && excl.MatchString(name) {
				continue
			}
			st := c.Status
			if st == "" { // older reports: infer from the child elements
				switch {
				case c.Failure != nil || c.Error != nil:
					st = "failed"
				case c.Skipped != nil:
					st = "skipped"
				default:
					st = "passed"
				}
			}
			fail := st == "failed" || st == "panicked" || st == "interrupted" || st == "aborted" || st == "timedout"
			if !isSpec {
				if fail {
					failed++
					total++
					failures = append(failures, c.Name+reason(c))
				}
				continue
			}
			total++
			switch {
			case fail:
				failed++
				failures = append(failures, name+reason(c))
			case st == "skipped" || st == "pending":
				skipped++
				if c.Skipped != nil && c.Skipped.Message != "" && c.Skipped.Message != "skipped" {
					skips = append(skips, name+" ("+firstLine(c.Skipped.Message)+")")
				} else {
					skips = append(skips, name)
				}
			default:
				passed++
			}
		}
	}
	fmt.Printf("critest: %d passed, %d failed, %d skipped of %d\n", passed, failed, skipped, total)
	for _, f := range failures {
		fmt.Println("  FAIL:", f)
	}
	if *verbose {
		for _, s := range skips {
			fmt.Println("  skip:", s)
		}
	}
	if failed > 0 || passed == 0 {
		return 1, nil
	}
	return 0, nil
}

func reason(c junitCase) string {
	if c.Failure != nil && c.Failure.Message != "" {
		return " — " + firstLine(c.Failure.Message)
	}
	if c.Error != nil && c.Error.Message != "" {
		return " — " + firstLine(c.Error.Message)
	}
	return ""
}

// firstLine shortens a failure message to its first line, and the next
// non-empty one when the first only introduces it ("Unexpected error:").
func firstLine(s string) string {
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(s), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	if len(lines) == 0 {
		return ""
	}
	s = lines[0]
	if strings.HasSuffix(s, ":") {
		// Gomega prints the error's type ("<*status.Error | 0x...>:")
		// before its text.
		for _, l := range lines[1:] {
			if !strings.HasPrefix(l, "<") {
				s += " " + l
				break
			}
		}
	}
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}
