# Third-party libraries, all from Debian packages (scripts/install_deps.sh installs them).
find_package(Threads REQUIRED)
find_package(OpenMP REQUIRED COMPONENTS CXX)
find_package(Eigen3 3.4 REQUIRED NO_MODULE)          # Eigen3::Eigen (GEMM-shaped CPU work)
find_package(CLI11 REQUIRED)                         # CLI11::CLI11 (command line)
find_package(nlohmann_json 3 REQUIRED)               # nlohmann_json::nlohmann_json
find_package(pugixml REQUIRED)                       # pugixml::pugixml (.xrdml reader)
if(XRDID_BUILD_TESTS)
  find_package(doctest REQUIRED)                     # doctest::doctest
endif()
if(XRDID_BUILD_BENCH)
  find_package(benchmark REQUIRED)                   # benchmark::benchmark
endif()

# gemmi 0.5.7 (Debian, header-only, no CMake config) + PEGTL. Only xrd/cif_reader.cpp (structures)
# and io/pdcif_reader.cpp (powder CIF patterns) use it.
find_path(GEMMI_INCLUDE_DIR gemmi/version.hpp REQUIRED)
find_package(pegtl REQUIRED)                         # taocpp::pegtl
add_library(xrdid_gemmi INTERFACE)
target_include_directories(xrdid_gemmi SYSTEM INTERFACE ${GEMMI_INCLUDE_DIR})
target_link_libraries(xrdid_gemmi INTERFACE taocpp::pegtl)
target_compile_definitions(xrdid_gemmi INTERFACE USE_STD_SNPRINTF)

# spglib (Debian libsymspg-dev, no CMake config): the space group a structure's full cell really
# has (xrd/symmetry.cpp). Required: a library built without it would list P1 files as P1.
find_path(SPGLIB_INCLUDE_DIR spglib.h)
find_library(SPGLIB_LIBRARY symspg)
if(NOT SPGLIB_INCLUDE_DIR OR NOT SPGLIB_LIBRARY)
  message(FATAL_ERROR "spglib not found (spglib.h and libsymspg): install the Debian package libsymspg-dev "
                      "(scripts/install_deps.sh does)")
endif()
add_library(xrdid_spglib INTERFACE)
target_include_directories(xrdid_spglib SYSTEM INTERFACE ${SPGLIB_INCLUDE_DIR})
target_link_libraries(xrdid_spglib INTERFACE ${SPGLIB_LIBRARY})
