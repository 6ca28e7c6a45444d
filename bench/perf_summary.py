#!/usr/bin/env python3
"""Where igbridge's CPU time goes, from a `perf record -g -p PID` file:
samples by thread and by kind of work (a flat profile, self time only,
sorted into the buckets bench/RESULTS.md reports).

  python3 bench/perf_summary.py perf.data"""

import collections
import re
import subprocess
import sys

# Kernel symbols, first match wins.
KERNEL = [
    ("kernel: context switches, scheduler",
     r"finish_task_switch|__schedule|\bschedule\b|pick_next|update_curr|dequeue_task|enqueue_task"
     r"|_raw_spin_unlock_irq$|try_to_wake_up|ttwu|select_task_rq|psi_|irqentry_exit|sched_"
     r"|switch_mm|__switch_to|nanosleep"),
    ("kernel: futex, epoll, timers", r"futex|epoll|ep_|hrtimer|timerfd|eventfd"),
    ("kernel: TCP/IP over loopback",
     r"tcp|sock|skb|ip_|inet|net_|netif|napi|__dev_queue|loopback|softirq|_copy_from_iter"
     r"|_copy_to_iter|sys_sendmsg|sys_recvmsg|raw_spin_unlock_irqrestore|__local_bh|release_sock"),
    ("kernel: LMDB commit I/O (pwrite, fdatasync)",
     r"ext4|iowrite|virtio|blk_|bio|folio|filemap|fdatasync|fsync|writepages|pwrite|vfs_write"
     r"|generic_perform_write|mpage|submit_|page_cache|jbd2|xas_|mark_buffer|iomap"),
]
USER = [
    ("malloc/free", lambda dso, sym: re.search(
        r"malloc|free|_int_|operator new|operator delete|unlink_chunk|tcache", sym)),
    ("JSON (nlohmann)", lambda dso, sym: "nlohmann" in sym),
    ("HMAC-SHA256 (libcrypto)", lambda dso, sym: "libcrypto" in dso),
    ("LMDB", lambda dso, sym: "liblmdb" in dso or sym.startswith("mdb_")),
    ("CAF", lambda dso, sym: "libcaf" in dso or "caf::" in sym),
    ("asio/Beast", lambda dso, sym: "boost::" in sym),
    ("igbridge's own code", lambda dso, sym: "igbridge::" in sym),
    ("libc/libstdc++ (copies, strings, locks)", lambda dso, sym: "libc.so" in dso
     or "libstdc++" in dso),
]
THREADS = {"caf.actor": "writer and other detached actors", "caf.multiplexer": "CAF workers",
           "caf.clock": "CAF clock"}


def main():
    out = subprocess.run(["perf", "report", "-i", sys.argv[1], "--no-children",
                          "--sort", "comm,dso,sym", "--stdio", "-g", "none"],
                         capture_output=True, text=True, check=True).stdout
    buckets = collections.OrderedDict((name, 0.0) for name, _ in KERNEL)
    buckets["kernel: other"] = 0.0
    for name, _ in USER:
        buckets[name] = 0.0
    buckets["other"] = 0.0
    threads = collections.Counter()
    for line in out.splitlines():
        m = re.match(r"\s+([\d.]+)%\s+(\S+)\s+(\S+)\s+\[(.)\]\s+(.*)", line)
        if not m:
            continue
        pct, comm, dso, kind, sym = (float(m.group(1)), m.group(2), m.group(3), m.group(4),
                                     m.group(5))
        threads[THREADS.get(comm, "HTTP (asio) threads" if comm.startswith("igbridge")
                            else comm)] += pct
        if kind == "k":
            name = next((n for n, rx in KERNEL if re.search(rx, sym)), "kernel: other")
        else:
            name = next((n for n, f in USER if f(dso, sym)), "other")
        buckets[name] += pct
    print("threads: " + ", ".join(f"{k} {v:.0f}%" for k, v in threads.most_common()))
    for name, pct in buckets.items():
        print(f"  {pct:5.1f}%  {name}")


if __name__ == "__main__":
    main()
