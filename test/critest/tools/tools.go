//go:build tools

// Package tools pins the CRI conformance tools (critest, crictl) that the
// harness builds from the Go module proxy. It is a module of its own so that
// cri-tools' dependencies never enter ocid's go.mod. critest is the test
// binary of sigs.k8s.io/cri-tools/cmd/critest (built with go test -c); the
// imports below are what that test file imports, so that go mod tidy records
// every module it needs.
package tools

import (
	_ "github.com/onsi/ginkgo/v2"
	_ "github.com/onsi/gomega"
	_ "sigs.k8s.io/cri-tools/cmd/crictl"
	_ "sigs.k8s.io/cri-tools/pkg/benchmark"
	_ "sigs.k8s.io/cri-tools/pkg/common"
	_ "sigs.k8s.io/cri-tools/pkg/framework"
	_ "sigs.k8s.io/cri-tools/pkg/validate"
	_ "sigs.k8s.io/cri-tools/pkg/version"
)
