"""Three nats-server processes with clustered JetStream on loopback, as
tests/cluster/nats_cluster.cpp starts them for the library's test (same
config: own client and route ports, routes to all, JetStream under a temp
dir). Also run by scripts/run-cluster.sh (`python3 nats_cluster.py DIR`)."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

NATS_SERVER = os.environ.get("NATS_SERVER_BIN") or shutil.which("nats-server") \
    or "/usr/sbin/nats-server"


def _free_ports(n):
    """Ports held open together so that they differ."""
    socks = []
    try:
        for _ in range(n):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def _accepts(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


class NatsCluster:
    def __init__(self, servers=3, workdir=None, ports=None, own_session=False):
        self.own_session = own_session
        self.dir = workdir or tempfile.mkdtemp(prefix="igbridge-nats-")
        self.own_dir = workdir is None
        os.makedirs(self.dir, exist_ok=True)
        ports = ports or _free_ports(2 * servers)
        self.client_ports = ports[0::2][:servers]
        self.route_ports = ports[1::2][:servers]
        self.procs = [None] * servers
        routes = ", ".join(f"nats-route://127.0.0.1:{p}" for p in self.route_ports)
        for i in range(servers):
            with open(self._path(i, "conf"), "w") as f:
                f.write(f"server_name: {self.name(i)}\n"
                        f"listen: 127.0.0.1:{self.client_ports[i]}\n"
                        f'jetstream {{ store_dir: "{self.dir}/{self.name(i)}", '
                        f"max_memory_store: 64MB, max_file_store: 1GB }}\n"
                        f"cluster {{ name: igb-test, listen: 127.0.0.1:{self.route_ports[i]}, "
                        f"routes: [{routes}] }}\n")
        for i in range(servers):
            self.start(i)

    def name(self, i):
        return f"n{i + 1}"

    def _path(self, i, ext):
        return os.path.join(self.dir, f"{self.name(i)}.{ext}")

    @property
    def urls(self):
        return [f"nats://127.0.0.1:{p}" for p in self.client_ports]

    def start(self, i):
        if self.procs[i] is not None and self.procs[i].poll() is None:
            return
        log = open(self._path(i, "log"), "a")
        self.procs[i] = subprocess.Popen([NATS_SERVER, "-c", self._path(i, "conf")],
                                         stdout=log, stderr=subprocess.STDOUT,
                                         start_new_session=self.own_session)
        log.close()
        deadline = time.time() + 15
        while not _accepts(self.client_ports[i]):
            if self.procs[i].poll() is not None:
                raise AssertionError(f"nats-server {self.name(i)} exited; see "
                                     f"{self._path(i, 'log')}")
            if time.time() > deadline:
                raise AssertionError(f"nats-server {self.name(i)} does not listen")
            time.sleep(0.02)

    def kill(self, i, sig=signal.SIGKILL):
        p = self.procs[i]
        if p is not None and p.poll() is None:
            p.send_signal(sig)
            p.wait()
        self.procs[i] = None

    def stop(self):
        for i in range(len(self.procs)):
            self.kill(i, signal.SIGTERM)
        if self.own_dir and not os.environ.get("KEEP_NATS_DIR"):
            shutil.rmtree(self.dir, ignore_errors=True)


if __name__ == "__main__":
    # `nats_cluster.py DIR PORT...`: the three servers until SIGTERM. A
    # terminal's Ctrl-C is ignored (the servers are started in their own
    # session too): the script stops the igbridge nodes first, so that they
    # leave the cluster while NATS is still there, then sends SIGTERM.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    cluster = NatsCluster(workdir=sys.argv[1], ports=[int(p) for p in sys.argv[2:]] or None,
                          own_session=True)
    print(" ".join(cluster.urls), flush=True)
    while not stop:
        time.sleep(0.2)
    cluster.stop()
