#!/usr/bin/env python3
"""A small Python client for the mailfts gRPC service (package mailfts.v1).

Needs grpcio and grpcio-tools (pip install grpcio grpcio-tools). The stubs are generated from
proto/mailfts.proto at start (no protoc binary needed: grpcio-tools ships the compiler).

    ./mailfts_client.py --addr 127.0.0.1:50051 --token-file /etc/mailfts/grpc-token \
        search --user alice --all-mailboxes 'OR SUBJECT invoice FROM billing'
    ./mailfts_client.py ... status --user alice
    ./mailfts_client.py ... rescan --user alice        # streams progress; Ctrl-C cancels
    ./mailfts_client.py ... index --user alice --mailbox INBOX

As a library: `client = Client(addr, token, proto_dir)`, then `client.search(...)`, ...
"""

import argparse
import importlib
import os
import sys
import tempfile

import grpc

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_PROTO_DIR = os.path.join(HERE, "..", "..", "proto")


def load_stubs(proto_dir=DEFAULT_PROTO_DIR):
    """Compiles mailfts.proto with grpcio-tools into a temporary directory and imports it."""
    from grpc_tools import protoc
    import grpc_tools

    out = tempfile.mkdtemp(prefix="mailfts-stubs-")
    well_known = os.path.join(os.path.dirname(grpc_tools.__file__), "_proto")
    rc = protoc.main([
        "protoc",
        f"-I{proto_dir}",
        f"-I{well_known}",
        f"--python_out={out}",
        f"--grpc_python_out={out}",
        os.path.join(proto_dir, "mailfts.proto"),
    ])
    if rc != 0:
        raise RuntimeError(f"protoc failed with {rc}")
    sys.path.insert(0, out)
    return importlib.import_module("mailfts_pb2"), importlib.import_module("mailfts_pb2_grpc")


class Client:
    """The Mailfts service with the bearer token on every call."""

    def __init__(self, addr, token, proto_dir=DEFAULT_PROTO_DIR):
        self.pb, self.pb_grpc = load_stubs(proto_dir)
        self.channel = grpc.insecure_channel(addr)
        self.stub = self.pb_grpc.MailftsStub(self.channel)
        self.metadata = [("authorization", f"Bearer {token}")] if token else []

    def _md(self, user):
        # `x-mailfts-user` is the routing key of a proxy that shards users across backends
        # (docs/scale-out.md); the daemon itself reads the user from the request.
        return self.metadata + ([("x-mailfts-user", user)] if user else [])

    def search(self, user, query, mailbox="INBOX", all_mailboxes=False, mode="index"):
        """Returns {mailbox: [uids]} and the raw response (plans, timings)."""
        modes = {"index": self.pb.SEARCH_MODE_INDEX, "exact": self.pb.SEARCH_MODE_EXACT,
                 "scan": self.pb.SEARCH_MODE_SCAN}
        req = self.pb.SearchRequest(user=user, mailbox=mailbox, all_mailboxes=all_mailboxes,
                                    query=query, mode=modes[mode])
        resp = self.stub.Search(req, metadata=self._md(user))
        return {m.mailbox: list(m.uids) for m in resp.mailboxes}, resp

    def status(self, user=""):
        return self.stub.Status(self.pb.StatusRequest(user=user), metadata=self._md(user))

    def index(self, user, mailbox="INBOX"):
        req = self.pb.IndexMessagesRequest(user=user, mailbox=mailbox)
        return self.stub.IndexMessages(req, metadata=self._md(user))

    def rescan(self, user="", all_users=False, mailbox=""):
        """Yields progress messages; closing the iterator cancels the rescan (what was committed
        stays, and the next rescan resumes from there)."""
        req = self.pb.RescanRequest(user=user, all_users=all_users, mailbox=mailbox)
        return self.stub.Rescan(req, metadata=self._md(user))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--addr", default="127.0.0.1:50051")
    ap.add_argument("--token-file")
    ap.add_argument("--proto", default=DEFAULT_PROTO_DIR, help="directory of mailfts.proto")
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("search")
    s.add_argument("--user", required=True)
    s.add_argument("--mailbox", default="INBOX")
    s.add_argument("--all-mailboxes", action="store_true")
    s.add_argument("--mode", choices=["index", "exact", "scan"], default="index")
    s.add_argument("query")
    st = sub.add_parser("status")
    st.add_argument("--user", default="")
    r = sub.add_parser("rescan")
    r.add_argument("--user", default="")
    r.add_argument("--all-users", action="store_true")
    i = sub.add_parser("index")
    i.add_argument("--user", required=True)
    i.add_argument("--mailbox", default="INBOX")
    a = ap.parse_args()
    token = open(a.token_file).read().strip() if a.token_file else ""
    c = Client(a.addr, token, a.proto)
    try:
        if a.cmd == "search":
            found, resp = c.search(a.user, a.query, a.mailbox, a.all_mailboxes, a.mode)
            for m in resp.mailboxes:
                print(f"{m.mailbox}: {' '.join(map(str, m.uids))}   [{m.plan.source}, "
                      f"{m.plan.tail_scanned} tail-scanned]")
            print(f"{resp.total_ms:.2f} ms")
        elif a.cmd == "status":
            print(c.status(a.user))
        elif a.cmd == "index":
            print(c.index(a.user, a.mailbox))
        elif a.cmd == "rescan":
            for p in c.rescan(a.user, a.all_users):
                print(f"{c.pb.RescanProgress.State.Name(p.state)} {p.user} {p.mailbox} "
                      f"{p.done}/{p.total} users {p.users_done}/{p.users_total} {p.error}")
    except grpc.RpcError as e:
        print(f"error: {e.code().name}: {e.details()}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
