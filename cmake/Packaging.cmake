# Install layout of everything but the binary (installed by the top-level
# CMakeLists.txt), and the .deb built by `make package` (cpack -G DEB).
#
#   <prefix>/bin/igbridge                          (top-level install(TARGETS))
#   <prefix>/lib/systemd/system/igbridge.service   ExecStart= points at <prefix>/bin
#   <prefix>/lib/systemd/system/igbridge{,-admin}.socket   not enabled by the .deb
#   <prefix>/share/doc/igbridge/igbridge.toml.example, README.md
#   <prefix>/share/doc/igbridge/examples/cluster.conf   the cluster-mode drop-in
#   <prefix>/share/doc/igbridge/copyright, changelog.gz   what Debian requires
#   <prefix>/share/man/man8/igbridge.8.gz          help2man, from the built binary
#   <sysconf>/igbridge/igbridge.toml               the live config; never overwritten
#
# <sysconf> is /etc when the prefix is /usr (the .deb, where the file is a
# dpkg conffile) and <prefix>/etc otherwise, so `cmake --install build --prefix
# /tmp/x` stays inside /tmp/x. Prefix-dependent paths are resolved at install
# time, because cpack installs with its own prefix (/usr) and DESTDIR.

include(GNUInstallDirs)

# cpack (and `make install`) package what is built instead of building "all"
# first: `make package` builds before it packs, and a packaging test must not
# start a compile in a build tree the test suite is running from.
set(CMAKE_SKIP_INSTALL_ALL_DEPENDENCY ON)

set(IG_PKG_DIR "${CMAKE_CURRENT_SOURCE_DIR}/packaging/debian")
set(IG_GEN_DIR "${CMAKE_CURRENT_BINARY_DIR}/packaging")

# The /etc copy of the example config: the two required secrets come from the
# unit's credentials ($CREDENTIALS_DIRECTORY) instead of files in /etc.
file(READ "${CMAKE_CURRENT_SOURCE_DIR}/config/igbridge.toml" ig_conf)
string(REPLACE "client_secret_file = \"/etc/igbridge/client_secret\""
               "client_secret_file = \"\${CREDENTIALS_DIRECTORY}/client_secret\"" ig_conf "${ig_conf}")
string(REPLACE "secret_file = \"/etc/igbridge/link_secret\""
               "secret_file = \"\${CREDENTIALS_DIRECTORY}/link_secret\"" ig_conf "${ig_conf}")
file(CONFIGURE OUTPUT "${IG_GEN_DIR}/igbridge.toml" CONTENT "${ig_conf}" @ONLY)
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS
             "${CMAKE_CURRENT_SOURCE_DIR}/config/igbridge.toml")

install(FILES config/igbridge.toml DESTINATION ${CMAKE_INSTALL_DOCDIR}
        RENAME igbridge.toml.example)
install(FILES README.md "${IG_PKG_DIR}/copyright" DESTINATION ${CMAKE_INSTALL_DOCDIR})

# The package is native (its version is the project's, no Debian revision),
# so Debian policy 12.7 names its changelog changelog.gz, not
# changelog.Debian.gz. The changelog's newest entry must carry that version.
file(STRINGS "${IG_PKG_DIR}/changelog" ig_changelog_top LIMIT_COUNT 1)
if(NOT ig_changelog_top MATCHES "^igbridge \\(${PROJECT_VERSION}\\) ")
  message(WARNING "packaging/debian/changelog starts with '${ig_changelog_top}': "
                  "add an entry for version ${PROJECT_VERSION}")
endif()
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${IG_PKG_DIR}/changelog")

# Configure-time values the install-time code below needs.
set(ig_built_binary "")
if(TARGET igbridge)
  set(ig_built_binary "$<TARGET_FILE:igbridge>")
endif()
install(CODE "
  set(IG_UNIT_DIR \"${CMAKE_CURRENT_SOURCE_DIR}/systemd\")
  set(IG_CONF_SRC \"${IG_GEN_DIR}/igbridge.toml\")
  set(IG_GEN_DIR \"${IG_GEN_DIR}\")
  set(IG_PKG_DIR \"${IG_PKG_DIR}\")
  set(IG_BINDIR \"${CMAKE_INSTALL_BINDIR}\")
  set(IG_DOCDIR \"${CMAKE_INSTALL_DOCDIR}\")
  set(IG_MANDIR \"${CMAKE_INSTALL_MANDIR}\")
  set(IG_BUILT_BINARY \"${ig_built_binary}\")
  set(IG_STRIP \"${CMAKE_STRIP}\")
")
install(CODE [[
  if(CMAKE_INSTALL_PREFIX STREQUAL "/usr" OR CMAKE_INSTALL_PREFIX STREQUAL "/")
    set(ig_etc "/etc")
  else()
    set(ig_etc "${CMAKE_INSTALL_PREFIX}/etc")
  endif()
  # A GNUInstallDirs path under this install's prefix unless it is absolute.
  function(ig_absolute var path)
    if(NOT IS_ABSOLUTE "${path}")
      set(path "${CMAKE_INSTALL_PREFIX}/${path}")
    endif()
    set(${var} "${path}" PARENT_SCOPE)
  endfunction()
  ig_absolute(ig_bin "${IG_BINDIR}/igbridge")
  ig_absolute(ig_doc "${IG_DOCDIR}")
  ig_absolute(ig_man8 "${IG_MANDIR}/man8")

  # A stripped install (cpack's) also drops the compiler's notes, as
  # dh_strip does (lintian: binary-has-unneeded-section).
  if(CMAKE_INSTALL_DO_STRIP AND IG_STRIP)
    execute_process(COMMAND "${IG_STRIP}" --remove-section=.comment --remove-section=.note
                            "$ENV{DESTDIR}${ig_bin}")
  endif()

  # The units, pointed at this prefix's binary and config directory; the
  # cluster-mode drop-in (systemd/cluster.conf) is an example the operator
  # copies to /etc/systemd/system/igbridge.service.d/.
  foreach(ig_unit_name igbridge.service igbridge.socket igbridge-admin.socket cluster.conf)
    file(READ "${IG_UNIT_DIR}/${ig_unit_name}" ig_unit)
    string(REPLACE "ExecStart=/usr/bin/igbridge " "ExecStart=${ig_bin} " ig_unit "${ig_unit}")
    string(REPLACE "/etc/igbridge/" "${ig_etc}/igbridge/" ig_unit "${ig_unit}")
    string(REPLACE "/usr/share/doc/igbridge/" "${ig_doc}/" ig_unit "${ig_unit}")
    file(WRITE "${IG_GEN_DIR}/unit/${ig_unit_name}" "${ig_unit}")
    set(ig_unit_dest "${CMAKE_INSTALL_PREFIX}/lib/systemd/system")
    if(ig_unit_name STREQUAL "cluster.conf")
      set(ig_unit_dest "${ig_doc}/examples")
    endif()
    file(INSTALL DESTINATION "${ig_unit_dest}"
         TYPE FILE PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ
         FILES "${IG_GEN_DIR}/unit/${ig_unit_name}")
  endforeach()

  # Debian wants doc/ and man/ files compressed with gzip -9n (no name or
  # time stamp in the header, so the .deb is reproducible).
  function(ig_gzip_install src dest_dir dest_name)
    file(MAKE_DIRECTORY "${IG_GEN_DIR}/gz")
    execute_process(COMMAND gzip -9nc "${src}" OUTPUT_FILE "${IG_GEN_DIR}/gz/${dest_name}"
                    RESULT_VARIABLE rc)
    if(NOT rc EQUAL 0)
      message(FATAL_ERROR "gzip -9n ${src} failed")
    endif()
    file(INSTALL DESTINATION "${dest_dir}" TYPE FILE
         PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ
         FILES "${IG_GEN_DIR}/gz/${dest_name}")
  endfunction()
  ig_gzip_install("${IG_PKG_DIR}/changelog" "${ig_doc}" "changelog.gz")

  # igbridge(8), from the built binary's --help and --version, dated by the
  # changelog's newest entry (help2man honours SOURCE_DATE_EPOCH).
  find_program(IG_HELP2MAN help2man)
  if(NOT EXISTS "${IG_BUILT_BINARY}")
    message(WARNING "no igbridge binary built: no manual page installed")
  elseif(NOT IG_HELP2MAN)
    message(WARNING "help2man not found (Debian package help2man): no manual page installed")
  else()
    if(NOT DEFINED ENV{SOURCE_DATE_EPOCH})
      execute_process(COMMAND dpkg-parsechangelog -l "${IG_PKG_DIR}/changelog" -STimestamp
                      OUTPUT_VARIABLE ig_epoch OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
      if(ig_epoch MATCHES "^[0-9]+$")
        set(ENV{SOURCE_DATE_EPOCH} "${ig_epoch}")
      endif()
    endif()
    execute_process(
      COMMAND "${IG_HELP2MAN}" --section=8 --no-info --no-discard-stderr
              "--name=import users' tagged Instagram posts into a web application"
              "--include=${IG_PKG_DIR}/igbridge.h2m"
              "--output=${IG_GEN_DIR}/igbridge.8" "${IG_BUILT_BINARY}"
      RESULT_VARIABLE rc ERROR_VARIABLE err)
    if(NOT rc EQUAL 0)
      message(FATAL_ERROR "help2man ${IG_BUILT_BINARY} failed: ${err}")
    endif()
    ig_gzip_install("${IG_GEN_DIR}/igbridge.8" "${ig_man8}" "igbridge.8.gz")
  endif()

  # The live config: installed once, an operator's edits are never replaced.
  if(EXISTS "$ENV{DESTDIR}${ig_etc}/igbridge/igbridge.toml")
    message(STATUS "Keeping existing: $ENV{DESTDIR}${ig_etc}/igbridge/igbridge.toml")
  else()
    file(INSTALL DESTINATION "${ig_etc}/igbridge" TYPE FILE
         PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ
         FILES "${IG_CONF_SRC}")
  endif()
]])

# ---- CPack: the .deb -------------------------------------------------------
set(CPACK_GENERATOR "DEB")
set(CPACK_PACKAGE_NAME "igbridge")
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_PACKAGE_VENDOR "igbridge")
set(CPACK_PACKAGE_CONTACT "igbridge maintainers <maintainers@igbridge.org>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "imports a web application's users' tagged Instagram posts")
set(CPACK_PACKAGE_DESCRIPTION
    "igbridge links app users' Instagram accounts through OAuth2, fetches their
posts that carry configured hashtags (webhook hints and adaptive polling),
deduplicates them by media id and delivers each one durably to the host
application: a JSONL file, a signed Standard Webhooks POST or Micropub.
It runs as a hardened systemd service with its state in LMDB.")
set(CPACK_RESOURCE_FILE_README "${CMAKE_CURRENT_SOURCE_DIR}/README.md")
set(CPACK_PACKAGING_INSTALL_PREFIX "/usr")
set(CPACK_STRIP_FILES ON)                          # no debug info in the .deb

set(CPACK_DEBIAN_PACKAGE_NAME "igbridge")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)            # igbridge_<version>_<arch>.deb
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${CPACK_PACKAGE_CONTACT}")
set(CPACK_DEBIAN_PACKAGE_SECTION "net")
set(CPACK_DEBIAN_PACKAGE_PRIORITY "optional")
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)             # Depends: from dpkg-shlibdeps
# The maintainer scripts run deb-systemd-helper and deb-systemd-invoke. The
# package is Essential, and so named with a version (lintian:
# depends-on-essential-package-without-using-version): Debian 12's, which the
# scripts were written against (libicu72 ties the .deb to Debian 12 anyway).
set(CPACK_DEBIAN_PACKAGE_DEPENDS "init-system-helpers (>= 1.65~)")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "systemd, ca-certificates")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    "${IG_PKG_DIR}/conffiles;${IG_PKG_DIR}/postinst;${IG_PKG_DIR}/prerm;${IG_PKG_DIR}/postrm")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)

include(CPack)
