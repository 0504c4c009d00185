# A plugin calling a helper the service does not offer (trace_printk):
# rejected when uploaded.
    mov %r1, %r10
    mov %r2, 4
    call 6
    exit
