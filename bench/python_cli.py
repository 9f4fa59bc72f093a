"""The command line of the Python echo servers in bench/, by bench/cli_args.h's rules: --help
and -h print the usage (starting with "usage:") on stdout and exit 0; a bad argument prints
one line "PROGRAM: message" on stderr and exits 2. Every server takes --port (0: ephemeral),
--host and --duration (seconds, 0: until SIGINT/SIGTERM), and raises its descriptor limit.
"""

import argparse
import os
import resource
import sys


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        sys.stderr.write("%s: %s (--help for usage)\n" % (self.prog, message))
        sys.exit(2)


def server_parser(doc):
    """A parser for a server whose module docstring is `doc` (its first line is the summary)."""
    parser = _Parser(prog=os.path.basename(sys.argv[0]), description=doc.splitlines()[0])
    parser.add_argument("--port", type=int, required=True, help="TCP port; 0 picks a free one")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--duration", type=float, default=0, help="seconds; 0: until SIGINT/SIGTERM")
    return parser


def check_port(parser, args):
    if not 0 <= args.port <= 65535:
        parser.error("--port: %d is not in 0..65535" % args.port)
    if args.duration < 0:
        parser.error("--duration: must not be negative")


def raise_fd_limit():
    """Raises RLIMIT_NOFILE to the hard limit (bench/fd_limit.h)."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
