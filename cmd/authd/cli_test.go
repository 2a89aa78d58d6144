package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// Help and version need no configuration and start nothing; unknown commands and arguments are refused,
// with a suggestion for a typo.
func TestCommandLine(t *testing.T) {
	t.Setenv("DATABASE_URL", "") // nothing may need it
	for _, c := range []struct {
		args    []string
		wantErr string
		wantOut string
	}{
		{args: []string{"--help"}, wantOut: "usage: authd <command>"},
		{args: []string{"help"}, wantOut: "usage: authd <command>"},
		{args: []string{"serve", "--help"}, wantOut: "usage: authd <command>"},
		{args: []string{"keys", "rotate", "-h"}, wantOut: "usage: authd <command>"},
		{args: []string{"--version"}, wantOut: "\n"},
		{args: []string{"help", "env"}, wantOut: "AUTHD_ACCESS_TOKEN_TTL"},
		{args: []string{"serve", "--port", "9000"}, wantErr: `serve takes no arguments (got "--port 9000")`},
		{args: []string{"cleanup", "now"}, wantErr: "cleanup takes no arguments"},
		{args: []string{"serv"}, wantErr: `unknown command "serv"; did you mean "serve"?`},
		{args: []string{"frobnicate"}, wantErr: `unknown command "frobnicate"`},
	} {
		var stdout, stderr bytes.Buffer
		err := run(context.Background(), c.args, &stdout, &stderr)
		switch {
		case c.wantErr != "" && (err == nil || !strings.Contains(err.Error(), c.wantErr)):
			t.Errorf("%v: error %v, want %q", c.args, err, c.wantErr)
		case c.wantErr == "" && err != nil:
			t.Errorf("%v: %v", c.args, err)
		case c.wantOut != "" && !strings.Contains(stdout.String(), c.wantOut):
			t.Errorf("%v: printed %q, want %q", c.args, stdout.String(), c.wantOut)
		}
	}
}
