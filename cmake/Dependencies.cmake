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

# gemmi 0.5.7 (Debian, header-only, no CMake config) + PEGTL. Only xrd/cif_reader.cpp uses it.
find_path(GEMMI_INCLUDE_DIR gemmi/version.hpp REQUIRED)
find_package(pegtl REQUIRED)                         # taocpp::pegtl
add_library(xrdid_gemmi INTERFACE)
target_include_directories(xrdid_gemmi SYSTEM INTERFACE ${GEMMI_INCLUDE_DIR})
target_link_libraries(xrdid_gemmi INTERFACE taocpp::pegtl)
target_compile_definitions(xrdid_gemmi INTERFACE USE_STD_SNPRINTF)
