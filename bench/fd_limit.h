// Raises the open-file soft limit to the hard limit: the programs in bench/ open thousands of
// sockets.
#pragma once

#include <sys/resource.h>

namespace bench {

inline void raise_fd_limit() {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    setrlimit(RLIMIT_NOFILE, &lim);
  }
}

}  // namespace bench
