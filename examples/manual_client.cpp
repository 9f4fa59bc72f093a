// The Panda3D manual's client, in C++ with queuednet: connects with
// open_TCP_client_connection, sends a few chat lines, prints the server's broadcasts, then asks
// the server to quit and waits until the server closes the connection.
//
//   manual_client [--port 9099] [--messages 3]
//
// Exits 0 when every message came back and the server closed the connection.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "queuednet/queuednet.h"

using namespace queuednet;

int main(int argc, char **argv) {
  int port = 9099, messages = 3;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::string(argv[i]) == "--port") port = std::atoi(argv[i + 1]);
    if (std::string(argv[i]) == "--messages") messages = std::atoi(argv[i + 1]);
  }

  QueuedConnectionManager cManager;
  QueuedConnectionReader cReader(&cManager, 0);
  ConnectionWriter cWriter(&cManager, 0);

  const int timeout_in_milliseconds = 3000;
  std::shared_ptr<Connection> myConnection =
      cManager.open_TCP_client_connection("127.0.0.1", static_cast<uint16_t>(port), timeout_in_milliseconds);
  if (!myConnection) {
    std::fprintf(stderr, "cannot connect: %s\n", last_error().message.c_str());
    return 1;
  }
  cReader.add_connection(myConnection);

  int received = 0;
  for (int i = 0; i < messages; ++i) {
    Datagram myDatagram;
    myDatagram.add_string("hello " + std::to_string(i));
    cWriter.send(myDatagram, myConnection);
    for (int t = 0; t < 100 && !cReader.data_available(); ++t) cReader.wait_for_data(0.1);
    NetDatagram datagram;
    if (cReader.get_data(datagram)) {
      DatagramIterator it(datagram);
      std::printf("received '%s'\n", it.get_string().c_str());
      ++received;
    }
  }

  Datagram quit;  // an empty datagram asks the server to quit
  cWriter.send(quit, myConnection);
  PointerToConnection lost;
  for (int i = 0; i < 100 && !cManager.get_reset_connection(lost); ++i) cReader.wait_for_data(0.1);
  const bool closed = lost.p() == myConnection.get();
  std::printf("%s\n", closed ? "server closed the connection" : "server did not close the connection");
  return received == messages && closed ? 0 : 1;
}
