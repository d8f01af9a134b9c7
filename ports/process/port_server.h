#pragma once
// The server side of the process protocol for a port written in C++: reads requests, calls the
// port, writes answers, until "bye" or the end of its input. `ttt-harness port-server` serves
// this repository's layer with it, so that the layer is judged through the same protocol as
// anyone else's port (`conform --port cpp`).

#include <ports/port.h>

namespace ttt::ports {

// Serves `port` on file descriptors `in` and `out`. An exception of the port becomes an answer
// {"ok": false, "kind": "exception", "error": <its first line>}; a PortFailure of kind
// NotSupported one of kind "not_supported". Returns 0 after "bye" or at the end of input, 2
// when a request was not a protocol message (after saying so on stderr).
int serve(Port& port, int in, int out);

// For a server whose port may print: moves the process's standard output to a private
// descriptor for the protocol and points descriptor 1 at standard error. Returns the private one.
int protocol_stdout();

}  // namespace ttt::ports
