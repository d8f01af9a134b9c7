# cmake -DINPUT=reports/report.html -DOUTPUT=.../report_template.h -DARRAY=kReportTemplate -P embed_template.cmake
# Writes the template as a char array (bytes, not a string literal: no escaping rules and no
# compiler limit on literal length to worry about), so the tool needs no file at run time.
file(READ "${INPUT}" _hex HEX)
string(LENGTH "${_hex}" _len)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "'\\\\x\\1'," _bytes "${_hex}")
# Break the array into lines of 16 bytes for the compiler's sake.
string(REGEX REPLACE "(('\\\\x[0-9a-f][0-9a-f]',){16})" "\\1\n" _bytes "${_bytes}")
file(WRITE "${OUTPUT}.tmp"
"// Generated from ${INPUT} by reports/embed_template.cmake: do not edit.
#pragma once
namespace ttt::harness {
inline constexpr char ${ARRAY}[] = {
${_bytes}'\\0'};
}  // namespace ttt::harness
")
# Only touch the header when it changed, so an unrelated reconfigure rebuilds nothing.
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUTPUT}.tmp")
