// Anchors the Asio/Beast precompiled header (see CMakeLists.txt).
