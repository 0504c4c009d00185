package verifier

import (
	"testing"
)

func BenchmarkUnknownLoop(b *testing.B) {
	p, err := AssembleForTest("call 2\nmov %r1, %r0\nloop:\nsub %r1, 1\njne %r1, 0, loop\nmov %r0, 0\nexit")
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < b.N; i++ {
		Verify(p, &Config{Mode: Strict, Helpers: SuiteHelpers, MaxInsns: 100000})
	}
}
