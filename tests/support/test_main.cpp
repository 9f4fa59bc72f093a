// GoogleTest main: raises the open-file limit (load tests open thousands of sockets) and says
// which mode the suite runs in.
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <cstdio>
#include <cstdlib>

#include "support/test_support.h"

int main(int argc, char **argv) {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) == 0) {
    lim.rlim_cur = lim.rlim_max;
    setrlimit(RLIMIT_NOFILE, &lim);
  }
  const char *backend = std::getenv("QUEUEDNET_BACKEND");
  std::printf("queuednet tests: threads=%d backend=%s\n", qt::test_threads(), backend ? backend : "auto");
  if (backend != nullptr) {
    const auto kind = queuednet::parse_backend_kind(backend);
    if (kind && !queuednet::ConnectionManager::is_backend_available(*kind)) {
      std::printf("skipped: the %s backend is not available on this machine\n", backend);
      return 77;  // ctest: SKIP_RETURN_CODE
    }
  }
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
