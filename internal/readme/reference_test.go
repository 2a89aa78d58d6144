package readme

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/authd/authd/internal/auth"
	"github.com/authd/authd/internal/config"
)

// The README names every environment variable authd reads and every runtime setting, so that its
// reference cannot fall behind the code.
func TestReadmeNamesEveryVariableAndSetting(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(readme)
	for _, v := range config.Variables() {
		if !strings.Contains(text, "`"+v.Name+"`") {
			t.Errorf("README does not name the environment variable %s", v.Name)
		}
	}
	for _, key := range auth.SettingKeys() {
		if !strings.Contains(text, "`"+key+"`") {
			t.Errorf("README does not name the runtime setting %s", key)
		}
	}
}

// Every in-page link of the README (its contents line) leads to a heading.
func TestReadmeContentsLinksLeadToHeadings(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	anchors := map[string]bool{}
	for _, line := range strings.Split(string(readme), "\n") {
		if heading, ok := strings.CutPrefix(line, "## "); ok {
			anchors[strings.ReplaceAll(strings.ToLower(heading), " ", "-")] = true
		}
	}
	links := regexp.MustCompile(`\]\(#([a-z0-9-]+)\)`).FindAllStringSubmatch(string(readme), -1)
	if len(links) < 10 {
		t.Fatalf("only %d in-page links: the contents line is gone", len(links))
	}
	for _, link := range links {
		if !anchors[link[1]] {
			t.Errorf("the README links to #%s, which no heading has", link[1])
		}
	}
}
