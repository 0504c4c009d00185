package verifier_test

import (
	"errors"
	"path/filepath"
	"testing"

	"github.com/iovm/iovm/conformance"
	"github.com/iovm/iovm/verifier"
	"github.com/iovm/iovm/vm"
)

// TestConformanceCorpus runs the verifier over the conformance suite:
//   - every program that loads at all is accepted in Checked mode;
//   - every program accepted in Strict mode runs on the interpreter
//     without a fault;
//   - every run that faults at a memory access faults at an access the
//     verifier did not claim proven.
func TestConformanceCorpus(t *testing.T) {
	files, err := filepath.Glob("../conformance/testdata/*.data")
	if err != nil || len(files) == 0 {
		t.Skip("no conformance data")
	}
	if testing.Short() && len(files) > 300 {
		files = files[:300]
	}
	strictOK, faults := 0, 0
	for _, fn := range files {
		c, err := conformance.ParseFile(fn)
		if err != nil || c.Skip != "" {
			continue
		}
		p, err := c.Program()
		if err != nil {
			continue
		}
		hs := conformance.TestHelpers()
		protos := func(id int32) (verifier.HelperProto, bool) {
			h := hs.Lookup(id)
			if h == nil {
				return verifier.HelperProto{}, false
			}
			return h.Proto, true
		}
		facts, cerr := verifier.Verify(p, &verifier.Config{Mode: verifier.Checked, Helpers: protos})
		if cerr != nil {
			var ve *verifier.Error
			if !errors.As(cerr, &ve) {
				t.Errorf("%s: checked: not a *verifier.Error: %v", fn, cerr)
			}
			if !c.HasError {
				t.Errorf("%s: safe program rejected in checked mode: %v", fn, cerr)
			}
			continue
		}
		_, serr := verifier.Verify(p, &verifier.Config{Mode: verifier.Strict, Helpers: protos, MaxInsns: 200000})
		prog, err := vm.Load(p, &vm.Options{Helpers: hs})
		if err != nil {
			continue
		}
		env := &vm.Env{Budget: 10000000}
		if c.Mem != nil {
			env.Mem = append([]byte(nil), c.Mem...)
		}
		_, rerr := prog.Run(env)
		var e *vm.Error
		faulted := errors.As(rerr, &e) && e.Kind == vm.KindFault
		if serr == nil {
			strictOK++
			if faulted {
				t.Errorf("%s: accepted in strict mode but faults: %v", fn, rerr)
			}
		}
		if faulted {
			faults++
			if e.PC >= 0 && e.PC < len(facts.Access) && facts.Access[e.PC].Proven {
				t.Errorf("%s: faults at pc %d (%v), which checked mode claims proven", fn, e.PC, rerr)
			}
		}
	}
	t.Logf("%d files, %d accepted in strict mode, %d fault at run time", len(files), strictOK, faults)
}
