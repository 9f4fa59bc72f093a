// Test helper: runs a program with io_uring refused, as Docker's default seccomp profile does.
//   deny_io_uring PROGRAM [ARG...]
// Installs a seccomp-bpf filter that makes io_uring_setup, io_uring_enter and io_uring_register
// fail with EPERM (every other system call is allowed), then execvp's PROGRAM. The filter is
// inherited by PROGRAM and its children. Exits 2 on a usage error, 1 if the filter cannot be
// installed or PROGRAM cannot be run.
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <cstring>

#if defined(__x86_64__)
constexpr unsigned kAuditArch = AUDIT_ARCH_X86_64;
#elif defined(__aarch64__)
constexpr unsigned kAuditArch = AUDIT_ARCH_AARCH64;
#else
#error "deny_io_uring: add this architecture's AUDIT_ARCH_* constant"
#endif

namespace {

constexpr const char *kProgram = "deny_io_uring";

constexpr sock_filter statement(unsigned short code, unsigned k) { return {code, 0, 0, k}; }
constexpr sock_filter jump_if_equal(unsigned k, unsigned char if_true, unsigned char if_false) {
  return {BPF_JMP | BPF_JEQ | BPF_K, if_true, if_false, k};
}

bool install_filter() {
  sock_filter program[] = {
      // A system call of another architecture (another numbering) is allowed.
      statement(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)),
      jump_if_equal(kAuditArch, 1, 0),
      statement(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
      statement(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
      jump_if_equal(__NR_io_uring_setup, 3, 0),
      jump_if_equal(__NR_io_uring_enter, 2, 0),
      jump_if_equal(__NR_io_uring_register, 1, 0),
      statement(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
      statement(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA)),
  };
  const sock_fprog filter = {static_cast<unsigned short>(sizeof(program) / sizeof(program[0])), program};
  // Without privileges a process may install a filter only once it can gain none by exec.
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
    std::fprintf(stderr, "%s: prctl(PR_SET_NO_NEW_PRIVS): %s\n", kProgram, std::strerror(errno));
    return false;
  }
  if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &filter) != 0) {
    std::fprintf(stderr, "%s: seccomp(SECCOMP_SET_MODE_FILTER): %s\n", kProgram, std::strerror(errno));
    return false;
  }
  return true;
}

}  // namespace

int main(int argc, char **argv) {
  if (argc < 2) {
    std::fprintf(stderr, "%s: usage: %s PROGRAM [ARG...]\n", kProgram, kProgram);
    return 2;
  }
  if (!install_filter()) return 1;
  execvp(argv[1], argv + 1);
  std::fprintf(stderr, "%s: cannot run %s: %s\n", kProgram, argv[1], std::strerror(errno));
  return 1;
}
