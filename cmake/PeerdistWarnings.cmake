# Warnings are errors for our own targets only; third-party headers are system headers.
add_library(peerdist_warnings INTERFACE)
target_compile_options(peerdist_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Werror
  -Wshadow -Wconversion -Wsign-conversion -Wold-style-cast
  -Wnon-virtual-dtor -Woverloaded-virtual -Wnull-dereference
  -Wimplicit-fallthrough -Wcast-qual -Wformat=2)
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  target_compile_options(peerdist_warnings INTERFACE -Wduplicated-cond -Wlogical-op)
endif()
