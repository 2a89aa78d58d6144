package readme

import (
	"os"
	"path/filepath"
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
