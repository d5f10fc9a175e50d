# The server socket protocol library (owned by the SDK helper); included from src/fleet/CMakeLists.txt.
add_library(muster_fleet_protocol STATIC ${CMAKE_CURRENT_LIST_DIR}/protocol.cc)
target_link_libraries(muster_fleet_protocol PUBLIC muster_common)

muster_test(fleet_protocol_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/protocol_test.cc
  LIBS muster_fleet_protocol)
