# Sanitizer builds (CMakePresets.json: presets `asan` and `tsan`, run by scripts/sanitize.sh).
# Included through CMAKE_PROJECT_INCLUDE, so the top-level CMakeLists.txt stays as it is.
#
#   RAIBID_SANITIZE=address  ASan + UBSan, every UBSan finding fatal (-fno-sanitize-recover)
#   RAIBID_SANITIZE=thread   TSan
#
# Both also compile with clang's thread-safety analysis as errors (RAIBID_THREAD_SAFETY_FLAGS).
#
# The flags go to every library and program of the tree when it has been read (a deferred
# call), except programs linked -static: the step reaper (raibid-agent-reaper) cannot link with a
# sanitizer runtime and stays an ordinary build; it is a separate process of ~100 lines.
include_guard(GLOBAL)

# ASan + UBSan with every UBSan finding fatal: the `asan` preset and the fuzz tree (fuzz/) both.
set(RAIBID_ASAN_UBSAN_FLAGS -fsanitize=address,undefined -fno-sanitize-recover=undefined
    -fno-omit-frame-pointer)

# Clang's thread-safety analysis of the annotations in src/util/mutex.h (GUARDED_BY, REQUIRES, ...)
# with every finding a compile error; -beta adds the lock-order check (ACQUIRED_BEFORE). Not
# -Wthread-safety-negative: it wants REQUIRES(!mu) on every function that takes a lock.
if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  set(RAIBID_THREAD_SAFETY_FLAGS -Wthread-safety -Wthread-safety-beta -Werror=thread-safety
      -Werror=thread-safety-beta)
endif()

set(RAIBID_SANITIZE "" CACHE STRING "address (ASan + UBSan) or thread (TSan); empty for none")
if(RAIBID_SANITIZE STREQUAL "address")
  set(RAIBID_SANITIZE_FLAGS ${RAIBID_ASAN_UBSAN_FLAGS})
elseif(RAIBID_SANITIZE STREQUAL "thread")
  set(RAIBID_SANITIZE_FLAGS -fsanitize=thread -fno-omit-frame-pointer)
elseif(NOT RAIBID_SANITIZE STREQUAL "")
  message(FATAL_ERROR "RAIBID_SANITIZE is 'address' or 'thread', not '${RAIBID_SANITIZE}'")
endif()

# raibid_instrument_tree(dir COMPILE flags... LINK flags... [SKIP dir])
# Adds COMPILE to every library and program defined under `dir` (its subdirectories too, but not
# SKIP) and LINK to every program and shared library; programs linked -static are left alone.
function(raibid_instrument_tree dir)
  cmake_parse_arguments(I "" "SKIP" "COMPILE;LINK" ${ARGN})
  get_property(targets DIRECTORY ${dir} PROPERTY BUILDSYSTEM_TARGETS)
  foreach(t IN LISTS targets)
    get_target_property(type ${t} TYPE)
    get_target_property(link_opts ${t} LINK_OPTIONS)
    if(link_opts AND "-static" IN_LIST link_opts)
      continue()
    endif()
    if(type MATCHES "^(STATIC_LIBRARY|OBJECT_LIBRARY|SHARED_LIBRARY|EXECUTABLE)$")
      target_compile_options(${t} PRIVATE ${I_COMPILE})
    endif()
    if(type MATCHES "^(SHARED_LIBRARY|EXECUTABLE)$")
      target_link_options(${t} PRIVATE ${I_LINK})
    endif()
  endforeach()
  get_property(subdirs DIRECTORY ${dir} PROPERTY SUBDIRECTORIES)
  foreach(sub IN LISTS subdirs)
    if(NOT sub STREQUAL I_SKIP)
      raibid_instrument_tree(${sub} ${ARGN})
    endif()
  endforeach()
endfunction()

if(RAIBID_SANITIZE_FLAGS)
  message(STATUS "raibid: sanitizer build (${RAIBID_SANITIZE}): ${RAIBID_SANITIZE_FLAGS}")
  cmake_language(DEFER DIRECTORY ${CMAKE_SOURCE_DIR} CALL raibid_instrument_tree
                 ${CMAKE_SOURCE_DIR} COMPILE ${RAIBID_SANITIZE_FLAGS} ${RAIBID_THREAD_SAFETY_FLAGS}
                 LINK ${RAIBID_SANITIZE_FLAGS})
endif()
