# What `cmake --install` puts where, and the Debian package cpack makes of it
# (issue 10). The places are the standard ones for the prefix (GNUInstallDirs:
# with -DCMAKE_INSTALL_PREFIX=/usr the library goes to lib/<multiarch>), so
# ld.so, pkg-config, man, bash-completion and zsh find everything without
# configuration. Build the package with:
#   cmake -S . -B build/pkg -DCMAKE_INSTALL_PREFIX=/usr -DMICRO_TESTS=OFF
#   cmake --build build/pkg -j && (cd build/pkg && cpack -G DEB)
# The `micro` binary itself is installed by the top CMakeLists.txt (bin/).
include(GNUInstallDirs)

# --- libmicro: the archive, the shared library with its SONAME link, the header ---
install(TARGETS libmicro ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
if(TARGET libmicro_shared)
  install(TARGETS libmicro_shared LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
endif()
# micro.h includes only libc headers and <protobuf-c/protobuf-c.h> (the .pc's
# Requires), so it is the one header to ship.
install(FILES ${CMAKE_SOURCE_DIR}/shared/micro.h
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/micro)

# The .pc names the prefix it is installed under, absolute (prefix=/usr in the
# package), so a consumer's -I and -L are plain paths. CMAKE_INSTALL_PREFIX is
# read when installing, not when configuring: `--prefix DIR` and cpack change it.
set(MICRO_PC_BUILT ${CMAKE_BINARY_DIR}/pkgconfig/libmicro.pc)
install(CODE "
  set(MICRO_PC_PREFIX \"\${CMAKE_INSTALL_PREFIX}\")
  configure_file(\"${CMAKE_BINARY_DIR}/pkgconfig/libmicro.pc.in\" \"${MICRO_PC_BUILT}\" @ONLY)
")
install(FILES ${MICRO_PC_BUILT} DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

# --- shell completion: the same files `micro completion bash|zsh` prints -----------
install(FILES ${CMAKE_SOURCE_DIR}/completions/micro.bash
        DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions RENAME micro)
# Debian's zsh reads packages' functions from /usr/share/zsh/vendor-completions
# (its /usr/share/zsh/site-functions is not on $fpath); elsewhere, and under
# /usr/local, site-functions is zsh's own default.
if(CMAKE_INSTALL_PREFIX STREQUAL "/usr" AND EXISTS /etc/debian_version)
  set(MICRO_ZSH_DIR_DEFAULT ${CMAKE_INSTALL_DATADIR}/zsh/vendor-completions)
else()
  set(MICRO_ZSH_DIR_DEFAULT ${CMAKE_INSTALL_DATADIR}/zsh/site-functions)
endif()
set(MICRO_ZSH_COMPLETION_DIR ${MICRO_ZSH_DIR_DEFAULT} CACHE STRING
    "Where zsh's _micro is installed, relative to the prefix")
install(FILES ${CMAKE_SOURCE_DIR}/completions/micro.zsh
        DESTINATION ${MICRO_ZSH_COMPLETION_DIR} RENAME _micro)

# --- the man page, compressed as Debian's policy asks (man reads .gz) ---------------
set(MICRO_MAN_GZ ${CMAKE_BINARY_DIR}/man/micro.1.gz)
add_custom_command(OUTPUT ${MICRO_MAN_GZ}
  COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_BINARY_DIR}/man
  COMMAND gzip -9 -n -c ${CMAKE_SOURCE_DIR}/docs/micro.1 > ${MICRO_MAN_GZ}
  DEPENDS ${CMAKE_SOURCE_DIR}/docs/micro.1
  COMMENT "Compressing the man page")
add_custom_target(micro_man ALL DEPENDS ${MICRO_MAN_GZ})
install(FILES ${MICRO_MAN_GZ} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
install(FILES ${CMAKE_SOURCE_DIR}/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})

# --- the Debian package (cpack -G DEB) ----------------------------------------------
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME micro)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
# The Maintainer field: the project's commit identity unless a packager sets theirs.
set(MICRO_PACKAGE_CONTACT
    "Seed 6af48552 maintainers <maintainers@users.noreply.r-seed-6af48552.example>"
    CACHE STRING "Maintainer of the .deb")
set(CPACK_PACKAGE_CONTACT ${MICRO_PACKAGE_CONTACT})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "micro platform server, command line client and C service library")
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
    "A C implementation of the micro v3 platform: `micro server` runs every core\n\
service (registry, store, config, broker, events, auth, runtime, network) with\n\
the HTTP API gateway, the gRPC proxy and the web dashboard in one process; the\n\
`micro` client has the one-shot commands, an interactive prompt and shell\n\
completion; libmicro (shared and static, with pkg-config) writes services in C.")
# What is configured is what is packaged: configure with -DCMAKE_INSTALL_PREFIX=/usr.
set(CPACK_PACKAGING_INSTALL_PREFIX ${CMAKE_INSTALL_PREFIX})
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION devel)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# The libraries `micro` and libmicro.so link come from dpkg-shlibdeps; the rest
# is what libmicro's users need: the .pc's Requires are found through the -dev
# packages' own .pc files, and pkg-config reads them. `micro run` and `micro new`
# build services with cmake, a compiler and protoc-c: recommended, not required
# by the server and the client.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS
    "pkg-config, libprotobuf-c-dev, libnghttp2-dev, libcjson-dev, libsodium-dev")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS
    "bash-completion, build-essential, cmake, protobuf-c-compiler, git")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "zsh")
# libmicro.so is a public library: ldconfig runs on install and removal.
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON)
include(CPack)
