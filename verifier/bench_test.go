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

func BenchmarkAdlerStrict(b *testing.B) {
	p, err := AssembleForTest(`mov %r3, 1
mov %r4, 0
mov %r5, 0
loop:
jge %r5, %r2, end
mov %r6, %r1
add %r6, %r5
ldxb %r7, [%r6+0]
add %r3, %r7
mod %r3, 65521
add %r4, %r3
mod %r4, 65521
add %r5, 1
ja loop
end:
mov %r0, %r4
lsh %r0, 16
or %r0, %r3
exit`)
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < b.N; i++ {
		Verify(p, &Config{Mode: Strict, Helpers: SuiteHelpers})
	}
}
