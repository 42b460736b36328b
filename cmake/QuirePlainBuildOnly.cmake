# quire_plain_build_only(what): leaves the rest of the calling CMakeLists.txt
# out of sanitizer builds. Programs linked against a sanitized libquire need
# the sanitizer runtime themselves, so the tests that build such programs
# (tests/abi, tests/install) run in the plain build only.
macro(quire_plain_build_only what)
  if(QUIRE_SANITIZE OR QUIRE_TSAN)
    message(STATUS "${what} left out of sanitizer builds")
    return()
  endif()
endmacro()
