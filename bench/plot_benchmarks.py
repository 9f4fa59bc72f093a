#!/usr/bin/python3
"""Plots a results directory written by bench/run_benchmarks.sh.

    /usr/bin/python3 bench/plot_benchmarks.py RESULTS_DIR

Reads tcp.csv, latency.csv, udp.csv, broadcast.csv and idle.csv where present and writes
tcp_throughput.png, tcp_cpu_per_msg.png, tcp_latency.png (32-byte datagrams against connection
count, one line per server: the baselines, the peers, and each backend polled and with workers;
one panel per window), request_reply_latency.png, udp.png, broadcast.png (CPU per delivered
datagram per cell) and idle_memory.png (bytes per idle connection per server). Needs matplotlib
(Debian: python3-matplotlib).
"""
import csv
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402 (the backend must be chosen first)
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter  # noqa: E402

COLORS = {"baseline": "black", "baseline-epoll": "black", "baseline-uring": "dimgray", "asio": "tab:purple",
          "libuv": "tab:brown", "io_uring": "tab:blue", "epoll": "tab:orange", "poll": "tab:green"}
MARKERS = {"0": "o", "1": "s", "2": "^"}


def number(value):
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def read(directory, name):
    path = os.path.join(directory, name)
    if not os.path.exists(path):
        return []
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def label(row):
    if row["kind"] != "queuednet":
        return row["server"]
    mode = {"0": "polled", "1": "1 worker"}.get(row["threads"], f"{row['threads']} workers")
    return f"{row['backend']} {mode}"


def line_style(row):
    threads = row["threads"]
    if row["kind"] != "queuednet":
        dash = "-" if threads == "1" else "--"
    else:
        dash = {"0": "-", "1": "--"}.get(threads, ":")
    return dict(color=COLORS.get(row["backend"], "gray"), linestyle=dash, marker=MARKERS.get(threads, "x"),
                linewidth=2.2 if row["kind"] == "baseline" else 1.5, markersize=5)


def series(rows, x_key, y_key, window):
    """{server label: (style, [(x, y), ...])} for the rows of one window, in table order."""
    out = {}
    for row in rows:
        if row["window"] != window:
            continue
        x, y = number(row[x_key]), number(row[y_key])
        name = label(row)
        out.setdefault(name, (line_style(row), []))
        if x is not None and y is not None and y > 0:
            out[name][1].append((x, y))
    return out


def panel_grid(rows, x_key, plots, title, x_label, path):
    """One column per window, one row per (y_key, y_label, log_y) in plots."""
    windows = sorted({r["window"] for r in rows}, key=int)
    xs = sorted({int(r[x_key]) for r in rows})
    fig, axes = plt.subplots(len(plots), len(windows), figsize=(5.5 * len(windows) + 2.5, 4 * len(plots)),
                             squeeze=False)
    handles = {}
    for col, window in enumerate(windows):
        for row_index, (y_key, y_label, log_y) in enumerate(plots):
            ax = axes[row_index][col]
            for name, (style, points) in series(rows, x_key, y_key, window).items():
                if points:
                    (handle,) = ax.plot([p[0] for p in points], [p[1] for p in points], label=name, **style)
                    handles.setdefault(name, handle)
            if len(xs) > 1:
                ax.set_xscale("log")
            ax.set_xticks(xs)
            ax.set_xticklabels([f"{x:,}" for x in xs])
            ax.minorticks_off()
            if log_y:  # labels at 1, 2, 5 × 10^n: a log axis spanning one decade still reads
                ax.set_yscale("log")
                ax.yaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
                ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
                ax.yaxis.set_minor_formatter(NullFormatter())
            ax.set_title(f"window {window}")
            ax.set_xlabel(x_label)
            ax.set_ylabel(y_label)
            ax.grid(True, which="both", alpha=0.3)
    fig.suptitle(title)
    fig.legend(handles.values(), handles.keys(), loc="center right", fontsize=9)
    fig.tight_layout(rect=(0, 0, 1 - 2.3 / fig.get_figwidth(), 1))
    fig.savefig(path, dpi=110)
    plt.close(fig)
    print(f"plot: {path}")


def request_reply(rows, path):
    rows = [r for r in rows if number(r["p50_us"]) is not None]
    if not rows:
        return
    names = [label(r) for r in rows]
    p50 = [number(r["p50_us"]) for r in rows]
    p99 = [number(r["p99_us"]) for r in rows]
    fig, ax = plt.subplots(figsize=(max(6, 1.1 * len(rows) + 2), 4.5))
    positions = range(len(rows))
    colors = [COLORS.get(r["backend"], "gray") for r in rows]
    ax.bar([p - 0.2 for p in positions], p50, width=0.4, color=colors, alpha=0.55, label="p50")
    ax.bar([p + 0.2 for p in positions], p99, width=0.4, color=colors, label="p99", hatch="//", edgecolor="white")
    ax.set_xticks(list(positions))
    ax.set_xticklabels(names, rotation=30, ha="right")
    ax.set_ylabel("round-trip latency, µs")
    ax.set_title("Request-reply latency: one connection, one datagram in flight")
    ax.legend()
    ax.grid(True, axis="y", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    print(f"plot: {path}")


def idle_label(row):
    if row["server"] == "queuednet-echo-server":
        mode = "polled" if row["threads"] == "0" else f"{row['threads']} workers"
        return f"{row['backend']} {mode}"
    return row["server"]


def bars(rows, group_of, value_key, y_label, title, path, label=label):
    """Grouped bars: one group per group_of(row), one bar per server, in table order."""
    rows = [r for r in rows if number(r[value_key]) is not None]
    if not rows:
        return
    groups = list(dict.fromkeys(group_of(r) for r in rows))
    names = list(dict.fromkeys(label(r) for r in rows))
    width = 0.8 / len(names)
    fig, ax = plt.subplots(figsize=(max(7, 0.35 * len(names) * len(groups) + 3), 4.8))
    for i, name in enumerate(names):
        xs, ys, color = [], [], "gray"
        for g, group in enumerate(groups):
            for r in rows:
                if group_of(r) == group and label(r) == name:
                    xs.append(g + (i - (len(names) - 1) / 2) * width)
                    ys.append(number(r[value_key]))
                    color = COLORS.get(r["backend"], "gray")
        hatch = "//" if "worker" in name or name.endswith("t=2") else ""
        ax.bar(xs, ys, width=width, color=color, hatch=hatch, edgecolor="white", label=name)
    ax.set_xticks(range(len(groups)))
    ax.set_xticklabels(groups)
    ax.set_ylabel(y_label)
    ax.set_title(title)
    ax.grid(True, axis="y", alpha=0.3)
    ax.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.0, 0.5))
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    print(f"plot: {path}")


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: plot_benchmarks.py RESULTS_DIR")
    directory = sys.argv[1]
    tcp = [r for r in read(directory, "tcp.csv") if r.get("size", "32") == "32"]
    if tcp:
        panel_grid(tcp, "connections", [("msgs_per_sec", "echoes per second", False)],
                   "TCP echo throughput (32-byte datagrams)", "connections",
                   os.path.join(directory, "tcp_throughput.png"))
        panel_grid(tcp, "connections", [("cpu_us_per_msg", "server CPU µs per message", True)],
                   "Server CPU per message (lower is better)", "connections",
                   os.path.join(directory, "tcp_cpu_per_msg.png"))
        panel_grid(tcp, "connections", [("p50_us", "p50 latency, µs", True), ("p99_us", "p99 latency, µs", True)],
                   "TCP echo latency", "connections", os.path.join(directory, "tcp_latency.png"))
    request_reply(read(directory, "latency.csv"), os.path.join(directory, "request_reply_latency.png"))
    udp = read(directory, "udp.csv")
    if udp:
        panel_grid(udp, "sockets", [("msgs_per_sec", "echoes per second", False),
                                    ("cpu_us_per_msg", "server CPU µs per message", True)],
                   "UDP echo (32-byte payloads)", "sockets", os.path.join(directory, "udp.png"))
    bars(read(directory, "broadcast.csv"), lambda r: f"{int(r['clients']):,} clients, rooms of {r['room_size']}",
         "cpu_us_per_delivery", "server CPU µs per delivered datagram",
         "Broadcast: CPU per delivered datagram (lower is better)", os.path.join(directory, "broadcast.png"))
    bars(read(directory, "idle.csv"), lambda r: "idle connections", "bytes_per_connection",
         "server memory per idle connection, bytes", "Server memory per idle connection (lower is better)",
         os.path.join(directory, "idle_memory.png"), idle_label)


if __name__ == "__main__":
    main()
