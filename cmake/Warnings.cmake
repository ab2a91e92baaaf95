# xrdid_options: warnings, architecture and sanitizer flags shared by every xrdid target.
add_library(xrdid_options INTERFACE)
target_compile_options(xrdid_options INTERFACE
  $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Wno-unused-parameter>
  $<$<COMPILE_LANGUAGE:CUDA>:-Xcompiler=-Wall>)
# Position-independent code (for libxrdid) optimised as if it were not: calls within xrdid are
# never interposed by another library, so they stay inlinable.
target_compile_options(xrdid_options INTERFACE $<$<COMPILE_LANGUAGE:CXX>:-fno-semantic-interposition>)
if(XRDID_MARCH)
  target_compile_options(xrdid_options INTERFACE $<$<COMPILE_LANGUAGE:CXX>:-march=${XRDID_MARCH}>)
endif()
if(XRDID_SANITIZE)
  target_compile_options(xrdid_options INTERFACE
    $<$<COMPILE_LANGUAGE:CXX>:-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined>)
  target_link_options(xrdid_options INTERFACE -fsanitize=address,undefined)
endif()
