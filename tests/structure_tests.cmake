# The tree's shape, checked: the arch boundary (tests/tools/include_rule.py).
add_test(NAME arch.include_rule COMMAND ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/tests/tools/include_rule.py
         ${CMAKE_SOURCE_DIR})
add_test(NAME arch.include_rule_self_test COMMAND ${Python3_EXECUTABLE}
         ${CMAKE_SOURCE_DIR}/tests/tools/include_rule.py --self-test)
set_tests_properties(arch.include_rule arch.include_rule_self_test PROPERTIES LABELS structure)
# The docs name only files and functions that exist (tests/tools/doc_refs.py).
add_test(NAME docs.references COMMAND ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/tests/tools/doc_refs.py)
add_test(NAME docs.references_self_test COMMAND ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/tests/tools/doc_refs.py
         --self-test)
set_tests_properties(docs.references docs.references_self_test PROPERTIES LABELS structure)
