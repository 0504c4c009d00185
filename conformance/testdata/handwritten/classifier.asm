# r0 = class << 16 | destination port; 0xdead when truncated
mov %r6, %r1
mov %r7, %r2
mov %r0, 0xdead
jlt %r7, 14, out
mov %r9, 14
ldxh %r3, [%r6+12]
be16 %r3
jne %r3, 0x8100, l3
jlt %r7, 18, out
ldxh %r3, [%r6+16]
be16 %r3
mov %r9, 18
l3:
jeq %r3, 0x0800, ipv4
jeq %r3, 0x86dd, ipv6
mov %r0, %r3
or %r0, 0xf0000
ja out
ipv4:
mov %r4, %r9
add %r4, 20
jgt %r4, %r7, trunc
mov %r5, %r6
add %r5, %r9
ldxb %r4, [%r5+0]
and %r4, 15
lsh %r4, 2
ldxb %r3, [%r5+9]
add %r4, %r9
mov %r1, 0x10000
jeq %r3, 6, l4
mov %r1, 0x20000
jeq %r3, 17, l4
mov %r0, %r3
or %r0, 0x40000
ja out
ipv6:
mov %r4, %r9
add %r4, 40
jgt %r4, %r7, trunc
mov %r5, %r6
add %r5, %r9
ldxb %r3, [%r5+6]
mov %r4, %r9
add %r4, 40
mov %r1, 0x30000
jeq %r3, 17, l4
mov %r0, %r3
or %r0, 0x50000
ja out
l4:
mov %r2, %r4
add %r2, 4
jgt %r2, %r7, trunc
mov %r5, %r6
add %r5, %r4
ldxh %r0, [%r5+2]
be16 %r0
or %r0, %r1
ja out
trunc:
mov %r0, 0xdead
out:
exit
