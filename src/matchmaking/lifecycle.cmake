# Ticket lifecycle (owned by the lead): included from this folder's CMakeLists.txt.
add_library(muster_matchmaking_lifecycle STATIC ${CMAKE_CURRENT_LIST_DIR}/lifecycle.cc
  ${CMAKE_CURRENT_LIST_DIR}/lifecycle_match.cc ${CMAKE_CURRENT_LIST_DIR}/lifecycle_codec.cc)
target_link_libraries(muster_matchmaking_lifecycle PUBLIC muster_matchmaking muster_bus muster_core)
muster_test(lifecycle_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/lifecycle_test.cc LIBS muster_matchmaking_lifecycle muster_placement)
muster_test(lifecycle_flow_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/lifecycle_flow_test.cc LIBS muster_matchmaking_lifecycle muster_placement)
