# quire_pkg_config(out prefix libdir includedir) writes a pkg-config file for
# libquire from quire.pc.in. libdir and includedir are absolute or relative
# to prefix; relative ones are written as ${prefix}/dir so that the file
# reads like any other .pc file.
function(quire_pkg_config out prefix libdir includedir)
  set(QUIRE_PC_PREFIX ${prefix})
  foreach(kind LIBDIR INCLUDEDIR)
    string(TOLOWER ${kind} var)
    if(IS_ABSOLUTE "${${var}}")
      set(QUIRE_PC_${kind} "${${var}}")
    else()
      set(QUIRE_PC_${kind} "\${prefix}/${${var}}")
    endif()
  endforeach()
  # What a static link needs besides libquire.a (`pkg-config --static`).
  set(QUIRE_PC_REQUIRES_PRIVATE "zlib libzstd libutf8proc")
  if(LIBDEFLATE_FOUND)
    string(APPEND QUIRE_PC_REQUIRES_PRIVATE " libdeflate")
  endif()
  # libxlsxwriter is loaded at run time (dlopen), not linked.
  set(QUIRE_PC_LIBS_PRIVATE "-lcsv ${CMAKE_THREAD_LIBS_INIT}")
  foreach(lib ${CMAKE_DL_LIBS})
    string(APPEND QUIRE_PC_LIBS_PRIVATE " -l${lib}")
  endforeach()
  string(STRIP "${QUIRE_PC_LIBS_PRIVATE}" QUIRE_PC_LIBS_PRIVATE)
  configure_file(${PROJECT_SOURCE_DIR}/quire.pc.in ${out} @ONLY)
endfunction()
