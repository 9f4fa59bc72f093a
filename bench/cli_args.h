// Strict command-line parsing shared by the programs in bench/. Options are "--name VALUE" or
// "--name" alone for flags; "--help" and "-h" print the program's usage to stdout and exit 0.
// Every bad argument prints one line "PROGRAM: what is wrong (--help for usage)" to stderr and
// exits 2. Numbers are read with std::from_chars and must use the whole string.
#pragma once

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <system_error>

namespace bench {

class Args {
 public:
  Args(int argc, char **argv, const char *program, const char *usage)
      : argc_(argc), argv_(argv), program_(program), usage_(usage) {}

  // Advances to the next option; false when none is left. Handles --help and -h itself.
  bool next() {
    if (++index_ >= argc_) return false;
    option_ = argv_[index_];
    if (option_ == "--help" || option_ == "-h") {
      std::fputs(usage_, stdout);
      std::exit(0);
    }
    if (option_.size() < 3 || option_.substr(0, 2) != "--") fail("unexpected argument '" + std::string(option_) + "'");
    return true;
  }

  bool is(std::string_view name) const { return option_ == name; }
  std::string_view option() const { return option_; }

  // The current option's value (the next argument).
  std::string_view value() {
    if (index_ + 1 >= argc_) fail(std::string(option_) + " needs a value");
    return argv_[++index_];
  }

  // The value as an integer in [min, max].
  template <class T>
  T integer(T min, T max) {
    const std::string_view v = value();
    T out{};
    const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
    if (ec != std::errc() || end != v.data() + v.size() || out < min || out > max) {
      fail(std::string(option_) + ": '" + std::string(v) + "' is not an integer in " + std::to_string(min) + ".." +
           std::to_string(max));
    }
    return out;
  }

  // The value as a finite number in [min, max].
  double real(double min, double max) {
    const std::string_view v = value();
    double out = 0;
    const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
    if (ec != std::errc() || end != v.data() + v.size() || !std::isfinite(out) || out < min || out > max) {
      fail(std::string(option_) + ": '" + std::string(v) + "' is not a number in " + trim(min) + ".." + trim(max));
    }
    return out;
  }

  [[noreturn]] void unknown() const { fail("unknown option " + std::string(option_)); }

  [[noreturn]] void fail(const std::string &why) const {
    std::fprintf(stderr, "%s: %s (--help for usage)\n", program_, why.c_str());
    std::exit(2);
  }

 private:
  static std::string trim(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", v);
    return buf;
  }

  int argc_;
  char **argv_;
  const char *program_;
  const char *usage_;
  int index_ = 0;
  std::string_view option_;
};

}  // namespace bench
