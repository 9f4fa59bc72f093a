// The Panda3D manual's "Client-Server Connection" server, in C++ with queuednet: a listener
// polls for new connections, a reader polls for datagrams, a writer broadcasts every message
// to every client, and the server closes everything in order when a client asks it to quit
// (a datagram of one byte or less, as in Panda3D's test_tcp_server).
//
//   manual_server [--port 9099] [--duration 30]
//
// Prints "listening on 127.0.0.1:PORT" then one line per event; exits 0.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "queuednet/queuednet.h"

using namespace queuednet;

int main(int argc, char **argv) {
  int port = 9099;
  double duration = 30;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::string(argv[i]) == "--port") port = std::atoi(argv[i + 1]);
    if (std::string(argv[i]) == "--duration") duration = std::atof(argv[i + 1]);
  }

  QueuedConnectionManager cManager;
  QueuedConnectionListener cListener(&cManager, 0);
  QueuedConnectionReader cReader(&cManager, 0);
  ConnectionWriter cWriter(&cManager, 0);
  std::vector<std::shared_ptr<Connection>> activeConnections;

  const int backlog = 1000;
  std::shared_ptr<Connection> tcpSocket = cManager.open_TCP_server_rendezvous("127.0.0.1", port, backlog);
  if (!tcpSocket) {
    std::fprintf(stderr, "cannot listen: %s\n", last_error().message.c_str());
    return 1;
  }
  cListener.add_connection(tcpSocket);
  std::printf("listening on 127.0.0.1:%d\n", tcpSocket->get_address().get_port());
  std::fflush(stdout);

  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(duration);
  bool quit = false;
  while (!quit && std::chrono::steady_clock::now() < deadline) {
    // tskListenerPolling
    if (cListener.new_connection_available()) {
      PointerToConnection rendezvous;
      NetAddress netAddress;
      PointerToConnection newConnection;
      if (cListener.get_new_connection(rendezvous, netAddress, newConnection)) {
        activeConnections.push_back(newConnection);
        cReader.add_connection(newConnection.p());
        std::printf("client connected from %s\n", netAddress.to_string().c_str());
      }
    }
    // tskReaderPolling
    if (cReader.data_available()) {
      NetDatagram datagram;
      if (cReader.get_data(datagram)) {
        if (datagram.get_length() <= 1) {
          std::printf("quit requested by %s\n", datagram.get_address().to_string().c_str());
          quit = true;
        } else {
          DatagramIterator it(datagram);
          try {
            const std::string text = it.get_string();
            std::printf("broadcast '%s' to %zu client(s)\n", text.c_str(), activeConnections.size());
            for (auto &aClient : activeConnections) cWriter.send(datagram, aClient);
          } catch (const DatagramError &e) {
            std::printf("ignored malformed datagram: %s\n", e.what());
          }
        }
      }
    }
    // Clients that went away.
    PointerToConnection lost;
    while (cManager.get_reset_connection(lost)) {
      std::erase(activeConnections, static_cast<std::shared_ptr<Connection>>(lost));
      std::printf("client %s left\n", lost->get_address().to_string().c_str());
    }
    if (!quit) cReader.wait_for_data(0.05);  // sleep in the kernel until something happens
  }

  // Closing, as the manual does it.
  for (auto &aClient : activeConnections) {
    cReader.remove_connection(aClient);
    cManager.close_connection(aClient);
  }
  activeConnections.clear();
  cManager.close_connection(tcpSocket);
  std::printf("server closed\n");
  return 0;
}
