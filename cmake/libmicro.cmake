# libmicro for user services (issue 5): the objects of micro_core (shared/) and
# micro_proto (the generated core protos) as ONE static archive, libmicro.a, with
# two pkg-config files: pkgconfig/libmicro.pc for `cmake --install` (headers under
# include/micro/, so `#include <micro.h>`) and pkgconfig-uninstalled/libmicro.pc
# pointing into this source and build tree, so tests and the runtime build
# services without installing. Dependencies go in Requires (not .private): a
# consumer of a static archive needs them on its link line, and CMake's
# pkg_check_modules does not ask for --static.
add_library(libmicro STATIC $<TARGET_OBJECTS:micro_core> $<TARGET_OBJECTS:micro_proto>)
set_target_properties(libmicro PROPERTIES OUTPUT_NAME micro
  ARCHIVE_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/lib)

set(LIBMICRO_REQUIRES "libprotobuf-c libnghttp2 libcjson libsodium")
# A sanitized build's objects need the sanitizer runtime (and the same compiler)
# in whatever links them: the .pc says so; `pkg-config --variable=cc libmicro`
# names the compiler.
set(LIBMICRO_EXTRA_LIBS "-lm")
if(MICRO_SANITIZE)
  set(LIBMICRO_EXTRA_LIBS "-fsanitize=address,undefined -lm")
endif()

set(LIBMICRO_PC [=[
prefix=@LIBMICRO_PREFIX@
libdir=@LIBMICRO_LIBDIR@
includedir=@LIBMICRO_INCLUDEDIR@
cc=@CMAKE_C_COMPILER@

Name: libmicro
Description: write micro services in C (the micro platform's service framework)
Version: @PROJECT_VERSION@
Requires: @LIBMICRO_REQUIRES@
Cflags: -I${includedir}
Libs: -L${libdir} -lmicro @LIBMICRO_EXTRA_LIBS@
]=])

# Relative to the .pc file itself, so `cmake --install --prefix DIR` works anywhere.
set(LIBMICRO_PREFIX "\${pcfiledir}/../..")
set(LIBMICRO_LIBDIR "\${prefix}/lib")
set(LIBMICRO_INCLUDEDIR "\${prefix}/include/micro")
file(CONFIGURE OUTPUT ${CMAKE_BINARY_DIR}/pkgconfig/libmicro.pc CONTENT "${LIBMICRO_PC}" @ONLY)

set(LIBMICRO_PREFIX ${CMAKE_BINARY_DIR})
set(LIBMICRO_LIBDIR ${CMAKE_BINARY_DIR}/lib)
set(LIBMICRO_INCLUDEDIR ${CMAKE_SOURCE_DIR}/shared)
file(CONFIGURE OUTPUT ${CMAKE_BINARY_DIR}/pkgconfig-uninstalled/libmicro.pc
  CONTENT "${LIBMICRO_PC}" @ONLY)

install(TARGETS libmicro ARCHIVE DESTINATION lib)
install(FILES ${CMAKE_SOURCE_DIR}/shared/micro.h DESTINATION include/micro)
install(FILES ${CMAKE_BINARY_DIR}/pkgconfig/libmicro.pc DESTINATION lib/pkgconfig)
