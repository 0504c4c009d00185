package verifier_test

import (
	"errors"
	"fmt"

	"github.com/iovm/iovm/asm"
	"github.com/iovm/iovm/verifier"
)

// In Strict mode the verifier rejects what it cannot prove safe: here a
// read of the input without checking its length (r2) first. With the
// check, the program is accepted and the Facts say the access is proven in
// bounds, so the engines can drop the run-time check.
func ExampleVerify() {
	unchecked, _ := asm.AssembleLLVM(`
		r0 = *(u32 *)(r1 + 0)
		exit`)
	checked, _ := asm.AssembleLLVM(`
		r0 = 0
		if r2 < 4 goto out
		r0 = *(u32 *)(r1 + 0)
	out:
		exit`)
	cfg := &verifier.Config{Mode: verifier.Strict}

	_, err := verifier.Verify(unchecked, cfg)
	var ve *verifier.Error
	if errors.As(err, &ve) {
		fmt.Println("rejected at pc", ve.PC)
	}

	facts, err := verifier.Verify(checked, cfg)
	if err != nil {
		panic(err)
	}
	fmt.Println("accepted; read at pc 2 proven:", facts.Access[2].Proven, "; loops bounded:", facts.LoopsBounded)
	// Output:
	// rejected at pc 0
	// accepted; read at pc 2 proven: true ; loops bounded: true
}
