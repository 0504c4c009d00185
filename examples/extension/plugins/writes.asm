# Plugin "writes" (the mnemonic dialect of the conformance suite): deny
# writes (method 2, 3 or 4: POST, PUT, DELETE) outside business hours, the
# hour coming from the service's clock helper.
    ldxw %r6, [%r1+4]       # request.method
    jlt %r6, 2, allow
    jgt %r6, 4, allow
    call 1002               # r0 = hour of the day (0..23)
    jlt %r0, 8, deny
    jlt %r0, 18, allow
deny:
    mov %r0, 1
    exit
allow:
    mov %r0, 0
    exit
