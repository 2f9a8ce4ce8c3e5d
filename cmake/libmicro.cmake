# libmicro for user services (issue 5): the objects of micro_core (shared/) and
# micro_proto (the generated core protos) as ONE static archive, libmicro.a, and
# the same objects as a shared library, libmicro.so.MAJOR (they are built -fPIC),
# with two pkg-config files: pkgconfig/libmicro.pc.in, the template that
# cmake/install.cmake fills with the real prefix when installing (headers under
# include/micro/, so `#include <micro.h>`), and pkgconfig-uninstalled/libmicro.pc
# pointing into this source and build tree, so tests and the runtime build
# services without installing. Dependencies go in Requires (not .private): a
# consumer of a static archive needs them on its link line, and CMake's
# pkg_check_modules does not ask for --static.
add_library(libmicro STATIC $<TARGET_OBJECTS:micro_core> $<TARGET_OBJECTS:micro_proto>)
set_target_properties(libmicro PROPERTIES OUTPUT_NAME micro
  ARCHIVE_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/lib)
# The shared one lives in lib-shared/, not lib/: the uninstalled .pc's -L<build>/lib
# must keep finding only the archive, so services built by tests and by the
# runtime from the build tree run without LD_LIBRARY_PATH. Not with the fuzzers:
# their instrumentation only links into executables.
if(NOT MICRO_FUZZ)
  add_library(libmicro_shared SHARED $<TARGET_OBJECTS:micro_core> $<TARGET_OBJECTS:micro_proto>)
  target_link_libraries(libmicro_shared PRIVATE PkgConfig::PROTOBUFC PkgConfig::NGHTTP2
      PkgConfig::CJSON PkgConfig::SODIUM m)
  set_target_properties(libmicro_shared PROPERTIES OUTPUT_NAME micro
    VERSION ${PROJECT_VERSION} SOVERSION ${PROJECT_VERSION_MAJOR}
    LIBRARY_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/lib-shared)
endif()

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

# The prefix is known only when installing (`cmake --install --prefix DIR`, or
# cpack's /usr): install.cmake replaces @MICRO_PC_PREFIX@ then.
include(GNUInstallDirs)
set(LIBMICRO_PREFIX "@MICRO_PC_PREFIX@")
set(LIBMICRO_LIBDIR "\${prefix}/${CMAKE_INSTALL_LIBDIR}")
set(LIBMICRO_INCLUDEDIR "\${prefix}/${CMAKE_INSTALL_INCLUDEDIR}/micro")
file(CONFIGURE OUTPUT ${CMAKE_BINARY_DIR}/pkgconfig/libmicro.pc.in CONTENT "${LIBMICRO_PC}" @ONLY)

set(LIBMICRO_PREFIX ${CMAKE_BINARY_DIR})
set(LIBMICRO_LIBDIR ${CMAKE_BINARY_DIR}/lib)
set(LIBMICRO_INCLUDEDIR ${CMAKE_SOURCE_DIR}/shared)
file(CONFIGURE OUTPUT ${CMAKE_BINARY_DIR}/pkgconfig-uninstalled/libmicro.pc
  CONTENT "${LIBMICRO_PC}" @ONLY)

# Installed by cmake/install.cmake.
