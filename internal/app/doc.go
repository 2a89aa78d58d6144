// Package app wires authd together for its subcommands; cmd/authd only dispatches to it.
package app
