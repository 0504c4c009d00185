package gen

import "testing"

func TestFilesRender(t *testing.T) {
	fs := Files()
	if len(fs) == 0 {
		t.Fatal("no files")
	}
	for _, f := range fs {
		_ = f.Render()
	}
	t.Logf("%d files", len(fs))
}
