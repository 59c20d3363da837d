# Documents generated from the source: the system-call table in
# docs/processes.md comes from kernel/syscall/syscalls.def.
add_test(NAME docs.syscall_table COMMAND ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/tests/tools/syscall_doc.py --check)
# The check itself: it must fail on a stale table, a broken list or a
# fuzzer table that disagrees (each made in a scratch copy).
add_test(NAME docs.syscall_table_self_test
         COMMAND ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/tests/tools/syscall_doc.py --self-test)
set_tests_properties(docs.syscall_table docs.syscall_table_self_test PROPERTIES LABELS docs)
