// A program outside the queuednet tree, built against an installed queuednet (find_package or
// pkg-config): connects to an echo server, sends datagrams and checks every echo.
//
//   consumer PORT
//
// Prints "consumer: ok N echoes" and exits 0 when every echo came back intact within 10 s.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "queuednet/queuednet.h"

using namespace queuednet;

int main(int argc, char **argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: consumer PORT\n");
    return 2;
  }
  const int port = std::atoi(argv[1]);
  constexpr int kDatagrams = 100;

  QueuedConnectionManager manager;
  QueuedConnectionReader reader(&manager, 0);
  ConnectionWriter writer(&manager, 0);
  auto connection = manager.open_TCP_client_connection("127.0.0.1", static_cast<uint16_t>(port), 3000);
  if (!connection) {
    std::fprintf(stderr, "consumer: cannot connect: %s\n", last_error().message.c_str());
    return 1;
  }
  reader.add_connection(connection);
  for (int i = 0; i < kDatagrams; ++i) {
    Datagram d;
    d.add_uint32(static_cast<uint32_t>(i));
    d.add_string("echo " + std::to_string(i));
    if (!writer.send(d, connection, true)) {
      std::fprintf(stderr, "consumer: send %d failed: %s\n", i, last_error().message.c_str());
      return 1;
    }
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  int received = 0;
  while (received < kDatagrams && std::chrono::steady_clock::now() < deadline) {
    NetDatagram d;
    if (!reader.data_available() || !reader.get_data(d)) {
      reader.wait_for_data(0.1);
      continue;
    }
    DatagramIterator it(d);
    const uint32_t n = it.get_uint32();
    if (n != static_cast<uint32_t>(received) || it.get_string() != "echo " + std::to_string(n)) {
      std::fprintf(stderr, "consumer: echo %d is wrong\n", received);
      return 1;
    }
    ++received;
  }
  if (received != kDatagrams) {
    std::fprintf(stderr, "consumer: %d of %d echoes within 10 s\n", received, kDatagrams);
    return 1;
  }
  std::printf("consumer: ok %d echoes\n", received);
  return 0;
}
