#!/usr/bin/python3
"""Compact Markdown tables from a results directory written by bench/run_benchmarks.sh.

    /usr/bin/python3 bench/summarize_results.py RESULTS_DIR

One row per server, one column per cell, from the section CSVs present: the tcp section's server
CPU per message, then its ratios to the same-backend baseline and to the cheaper peer
("1.05 / 0.98"); request-reply p50 / p99; the pingpong round trips; the udp section's CPU per
message with its ratio to the baseline; the broadcast section's CPU per delivered datagram with its
ratio to the baseline and p50/p99 delivery latency; and bytes per idle connection. A cell whose run did not
verify every echo or delivery is marked with its verdict. Prints to stdout.
"""
import csv
import os
import sys


def read(directory, name):
    path = os.path.join(directory, name)
    if not os.path.exists(path):
        return []
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|---|" + "---:|" * (len(header) - 1)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def idle_server(r):
    if r["server"] == "queuednet-echo-server":
        return f"queuednet {r['backend']} t={r['threads']}"
    return r["server"]


def grid(rows, cell_of, value_of, cell_label, server_of=lambda r: r["server"]):
    """Rows: servers in first-seen order; columns: cells in first-seen order."""
    cells = list(dict.fromkeys(cell_of(r) for r in rows))
    servers = list(dict.fromkeys(server_of(r) for r in rows))
    by = {(server_of(r), cell_of(r)): r for r in rows}
    body = []
    for server in servers:
        line = [server]
        for cell in cells:
            r = by.get((server, cell))
            text = value_of(r) if r else "-"
            if r and r.get("result", "ok") not in ("ok", ""):
                text += f" ({r['result']})"
            line.append(text)
        body.append(line)
    return table(["server"] + [cell_label(c) for c in cells], body)


def tcp_cell(r):
    size = "" if r["size"] == "32" else f", {int(r['size']):,} B"
    return f"{int(r['connections']):,} × {r['window']}{size}"


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: summarize_results.py RESULTS_DIR")
    directory = sys.argv[1]
    out = []
    tcp = read(directory, "tcp.csv")
    if tcp:
        out.append("### TCP echo: server CPU µs per message (connections × in flight)\n")
        out.append(grid(tcp, tcp_cell, lambda r: r["cpu_us_per_msg"] or "-", str))
        out.append("\n### TCP echo: CPU per message against the same-backend baseline / the cheaper peer\n")
        queuednet = [r for r in tcp if r["kind"] != "baseline"]
        out.append(grid(queuednet, tcp_cell, lambda r: f"{r['cpu_vs_baseline']} / {r['cpu_vs_peers']}", str))
    latency = read(directory, "latency.csv")
    if latency:
        out.append("\n### Request-reply (one connection, one datagram in flight): round trips/s, p50 / p99 µs\n")
        out.append(grid(latency, lambda r: "1 × 1",
                        lambda r: f"{r['msgs_per_sec'] or '-'}, {r['p50_us'] or '-'} / {r['p99_us'] or '-'}", str))
    pingpong = read(directory, "pingpong.csv")
    if pingpong:
        out.append("\n### Panda3D-style exchange (queuednet-pingpong, polled, 64 in flight): round trips/s by pattern\n")
        out.append(grid(pingpong, lambda r: r.get("pattern", "drain"), lambda r: r["round_trips_per_sec"] or "-", str,
                        lambda r: f"queuednet {r['backend']} (client and server)"))
    udp = read(directory, "udp.csv")
    if udp:
        out.append("\n### UDP echo: server CPU µs per message (vs baseline), lost (sockets × in flight)\n")
        out.append(grid(udp, lambda r: f"{int(r['sockets']):,} × {r['window']}",
                        lambda r: f"{r['cpu_us_per_msg'] or '-'} ({r['cpu_vs_baseline']}), {r['lost'] or '-'}", str))
    broadcast = read(directory, "broadcast.csv")
    if broadcast:
        out.append("\n### Broadcast: server CPU µs per delivered datagram (vs baseline), p50 / p99 µs\n")
        out.append(grid(broadcast, lambda r: f"{int(r['clients']):,} in rooms of {r['room_size']}",
                        lambda r: f"{r['cpu_us_per_delivery'] or '-'} ({r['cpu_vs_baseline']}), "
                                  f"{r['p50_us'] or '-'} / {r['p99_us'] or '-'}", str))
    idle = read(directory, "idle.csv")
    if idle:
        out.append("\n### Server memory per idle connection, bytes\n")
        out.append(grid(idle, lambda r: "bytes", lambda r: r["bytes_per_connection"] or "-", str, idle_server))
    print("\n".join(out))


if __name__ == "__main__":
    main()
