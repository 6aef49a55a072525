// Package network gives CRI pods their network: a network namespace pinned
// by a bind mount (NetNS), and the CNI plugins that wire it to the node
// (Manager, through libcni), with a default bridge configuration for nodes
// that have none.
//
// The Manager keeps no state of its own beyond the CNI configuration it
// loaded: what a pod was given lives in libcni's result cache (CacheDir), so
// a restarted daemon can report and tear down the pods of the previous one.
package network
